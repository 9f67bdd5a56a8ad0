import { chmodSync, chownSync, copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { PostgresServer } from './postgres.ts';
import type { ServerTls } from './server-tls.ts';

/**
 * Turns on TLS in a running harness PostgreSQL (`ssl = on` with `tls`'s certificate) and replaces its pg_hba.conf
 * with `hba` lines for TCP (local socket connections stay trusted), then reloads — both take effect without a
 * restart. Afterwards the harness's own `query` (plain TCP) may be refused: use `tlsAdmin`.
 */
export async function enableTls(server: PostgresServer, tls: ServerTls, hba: readonly string[]): Promise<void> {
  const data = (await server.query<{ data_directory: string }>('SHOW data_directory'))[0]!.data_directory;
  const hbaFile = (await server.query<{ hba_file: string }>('SHOW hba_file'))[0]!.hba_file;
  // PostgreSQL refuses a key file that others can read or that another account owns.
  const owner = statSync(data);
  for (const [from, to] of [
    [tls.cert, 'server.crt'],
    [tls.key, 'server.key'],
  ] as const) {
    copyFileSync(from, join(data, to));
    chownSync(join(data, to), owner.uid, owner.gid);
    chmodSync(join(data, to), 0o600);
  }
  writeFileSync(hbaFile, ['local all all trust', ...hba, ''].join('\n'));
  await server.query('ALTER SYSTEM SET ssl = on');
  await server.query(`ALTER SYSTEM SET ssl_cert_file = 'server.crt'`);
  await server.query(`ALTER SYSTEM SET ssl_key_file = 'server.key'`);
  const [reloaded] = await server.query<{ ok: boolean }>('SELECT pg_reload_conf() AS ok');
  if (reloaded?.ok !== true) throw new Error('PostgreSQL did not reload its configuration');
  // The reload is asynchronous: wait until a TLS connection gets through.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await (await tlsAdmin(server, tls)).end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error('PostgreSQL did not start accepting TLS', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A connected superuser client over TLS that verifies the server (127.0.0.1) against the test CA. */
export async function tlsAdmin(server: PostgresServer, tls: ServerTls, database = 'postgres'): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    ssl: { ca: readFileSync(tls.caCert, 'utf8'), rejectUnauthorized: true },
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  return client;
}
