import test from 'ava';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { ns, postgres } from '../../charts-ts/src/platform.ts';
import { StaticCredentials } from '../../services/kit/src/database/credentials.ts';
import { Database } from '../../services/kit/src/database/database.ts';
import { databaseTlsFromEnv, type DatabaseTls } from '../../services/kit/src/database/tls.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { enableTls } from '../support/postgres-tls.ts';
import { scratchDir } from '../support/process.ts';
import { issueServerTls, type ServerTls } from '../support/server-tls.ts';
import { both, find } from './objects.ts';

// The prod Cluster's pg_hba on a real PostgreSQL with TLS on, and a service's connection as the kit makes it.

let server: PostgresServer;
let tls: ServerTls;
let otherCa: ServerTls;

const prodHba = (): string[] => {
  const { all } = both.find((s) => s.profile.name === 'prod')!;
  const spec = find(all, 'Cluster', postgres.cluster, ns.data)['spec'] as { postgresql: { pg_hba: string[] } };
  return spec.postgresql.pg_hba;
};

/** A service's Database as databaseFromEnv builds it, logging in with the superuser (the login is not the point). */
function serviceDatabase(mode: DatabaseTls): Database {
  return new Database({
    host: '127.0.0.1',
    port: server.port,
    database: 'postgres',
    credentials: new StaticCredentials({ username: server.user, password: server.password }),
    tls: mode,
    pool: { max: 1, acquireMs: 10_000 },
  });
}

test.before(async () => {
  const dir = scratchDir('pg-tls');
  tls = await issueServerTls(join(dir, 'server'), { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  otherCa = await issueServerTls(join(dir, 'other'), { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  server = await startPostgres();
  await enableTls(server, tls, prodHba());
});

test.after.always(async () => {
  await server?.stop();
});

test("a service's connection with DATABASE_SSLMODE=verify-full is encrypted (pg_stat_ssl)", async (t) => {
  const db = serviceDatabase(databaseTlsFromEnv({ DATABASE_SSLMODE: 'verify-full', DATABASE_SSLROOTCERT: tls.caCert }));
  try {
    const [rows] = await db.sequelize.query('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    const [row] = rows as { ssl: boolean; version: string }[];
    t.true(row?.ssl);
    t.regex(row?.version ?? '', /^TLSv1\.[23]$/);
  } finally {
    await db.close();
  }
});

test("a plaintext connection is refused by the Cluster's pg_hba", async (t) => {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    password: server.password,
    database: 'postgres',
    ssl: false,
    connectionTimeoutMillis: 5000,
  });
  const error = await t.throwsAsync(client.connect());
  t.regex(error.message, /pg_hba\.conf rejects connection .* no encryption/);
  await client.end().catch(() => undefined);
});

test('verify-full refuses a server whose certificate another CA signed', async (t) => {
  const db = serviceDatabase({ mode: 'verify-full', ca: readFileSync(otherCa.caCert, 'utf8') });
  try {
    const error = await t.throwsAsync(db.ping());
    t.regex(
      `${error.message} ${String((error as { parent?: Error }).parent?.message ?? '')}`,
      /signature|certificate|verify/i,
    );
  } finally {
    await db.close();
  }
});

test('verify-full without a CA file is a startup error naming DATABASE_SSLROOTCERT', (t) => {
  const error = t.throws(() => databaseTlsFromEnv({ DATABASE_SSLMODE: 'verify-full' }));
  t.regex(error.message, /DATABASE_SSLROOTCERT/);
});
