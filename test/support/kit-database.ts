import type { ExecutionContext } from 'ava';
import { Database, StaticCredentials, type Migration } from '@cf/kit';
import { fileFixture } from './file-fixture.ts';
import { startPostgres, type PostgresServer } from './postgres.ts';
import { freePort } from './process.ts';
import { startSlowProxy } from './slow-proxy.ts';

/** A PostgreSQL for every test of a file, with `database` created and `migrations` applied (through the kit). */
export function migratedPostgresForFile(database: string, migrations: readonly Migration[]): PostgresServer {
  return fileFixture(
    async () => {
      const postgres = await startPostgres();
      await postgres.query(`CREATE DATABASE ${database}`);
      const schema = kitDatabase(postgres, { port: postgres.port, database, connectMs: 5_000 });
      try {
        await schema.migrate(migrations);
      } finally {
        await schema.close();
      }
      return postgres;
    },
    (postgres) => postgres.stop(),
  );
}

/**
 * The kit's `Database` on `postgres`'s superuser login, reached at 127.0.0.1:`port` (the server's own port, or a
 * proxy's in front of it), with a connect deadline of `connectMs`, the kit's query deadline unless `queryMs` is
 * given, and a pool of 2 connections (waited for up to `acquireMs`, default the kit's).
 */
export function kitDatabase(
  postgres: PostgresServer,
  options: { port: number; database: string; connectMs?: number; queryMs?: number; acquireMs?: number },
): Database {
  const { connectMs, queryMs, acquireMs } = options;
  return new Database({
    host: '127.0.0.1',
    port: options.port,
    database: options.database,
    credentials: new StaticCredentials({ username: postgres.user, password: postgres.password }),
    deadlines: { ...(connectMs === undefined ? {} : { connectMs }), ...(queryMs === undefined ? {} : { queryMs }) },
    pool: { max: 2, ...(acquireMs === undefined ? {} : { acquireMs }) },
  });
}

/**
 * The kit's `Database` on `database` of `postgres` as under heavy CPU load: its first two connections take 1 s to
 * open while its connect deadline is 200 ms, so they miss it as pg's 5 s did on a loaded machine. Closed when `t` ends.
 */
export async function slowlyConnectingDatabase(
  t: ExecutionContext,
  postgres: PostgresServer,
  database: string,
): Promise<Database> {
  const proxy = await startSlowProxy(postgres, { slowConnections: 2, delayMs: 1_000 });
  const db = kitDatabase(postgres, { port: proxy.port, database, connectMs: 200 });
  t.teardown(async () => {
    await db.close();
    proxy.close();
  });
  return db;
}

/** The kit's `Database` on a port where nothing listens: PostgreSQL down. Closed when `t` ends. */
export async function unreachableDatabase(t: ExecutionContext, postgres: PostgresServer): Promise<Database> {
  const db = kitDatabase(postgres, { port: await freePort(), database: 'postgres', connectMs: 5_000 });
  t.teardown(async () => db.close());
  return db;
}
