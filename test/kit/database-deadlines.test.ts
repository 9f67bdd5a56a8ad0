import test from 'ava';
import type { Database } from '@cf/kit';
import { kitDatabase } from '../support/kit-database.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startSilentServer } from '../support/silent-server.ts';

let postgres: PostgresServer;

test.before(async () => {
  postgres = await startPostgres();
});

test.after.always(async () => {
  await postgres?.stop();
});

function database(port: number, deadlines: { connectMs?: number; queryMs?: number }): Database {
  return kitDatabase(postgres, { port, database: 'postgres', ...deadlines, acquireMs: 30_000 });
}

test('a PostgreSQL that accepts connections but never answers fails the query at the connect deadline', async (t) => {
  const silent = await startSilentServer();
  const db = database(silent.port, { connectMs: 300 });
  t.teardown(async () => {
    silent.close();
    await db.close();
  });
  const error = await t.throwsAsync(db.sequelize.query('SELECT 1'));
  t.regex(error?.message ?? '', /timeout/i);
});

test('a query that outlives the query deadline fails instead of holding the request', async (t) => {
  const db = database(postgres.port, { queryMs: 300 });
  t.teardown(async () => db.close());
  const error = await t.throwsAsync(db.sequelize.query('SELECT pg_sleep(30)'));
  t.regex(error?.message ?? '', /timeout/i);
});

test('queries inside the deadlines answer as usual', async (t) => {
  const db = database(postgres.port, { connectMs: 5_000, queryMs: 5_000 });
  t.teardown(async () => db.close());
  const [rows] = await db.sequelize.query('SELECT 1 AS one');
  t.deepEqual(rows, [{ one: 1 }]);
});
