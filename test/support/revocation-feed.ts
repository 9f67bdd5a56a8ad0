import type { ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Middleware } from 'koa';
import pg from 'pg';
import {
  createApp,
  createLogger,
  Database,
  listen,
  mountOperations,
  StaticCredentials,
  type Logger,
  type RunningServer,
} from '@cf/kit';
import { migrations } from '../../services/user-service/src/db/migrations.ts';
import { RevocationFeed, type RevocationFeedOptions } from '../../services/user-service/src/revocations/feed.ts';
import { revocationRoutes } from '../../services/user-service/src/routes/revocations.ts';
import { migratedPostgresForFile } from './kit-database.ts';
import { captureLogs } from './log-capture.ts';
import type { PostgresServer } from './postgres.ts';

// user-service's session-revocation feed, real and in pieces: its schema on a real PostgreSQL, its `RevocationFeed`
// on the kit's `Database`, and its HTTP route on a kit app. Each test gets a database of its own (a copy of the
// migrated `users` template), so tests that count rows, positions or listening connections can run concurrently.

/** A PostgreSQL for every test of a file, user-service's schema migrated into `users`, the template of each test's. */
export function feedPostgresForFile(): PostgresServer {
  return migratedPostgresForFile('users', migrations);
}

/** A logger whose JSON lines a test reads back. */
export function capturedLogger(name: string): { logger: Logger; lines: string[] } {
  const { stream, lines } = captureLogs();
  return { logger: createLogger({ name, level: 'debug', stream }), lines };
}

/** The `msg` of every captured log line at `warn` (bunyan level 40), with its `err.message` when it names one. */
export function warnings(lines: readonly string[]): { msg: string; err?: string }[] {
  return lines
    .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } })
    .filter((line) => line.level === 40)
    .map((line) => ({ msg: line.msg, ...(line.err !== undefined ? { err: line.err.message } : {}) }));
}

export interface FeedDatabase {
  name: string;
  /** The kit's `Database` on it, as user-service opens it (pool of `poolMax`, acquire deadline 2 s). */
  db: Database;
  /** One statement as the superuser on a connection of the test's own, outside the feed's pool. */
  sql<Row extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Ends a fresh session as user-service does (UPDATE of `sessions.revoked_at`: the trigger writes the feed row and
   * notifies); `agoSeconds` dates the row that long before now, in the same transaction. Answers the session id.
   */
  revoke(agoSeconds?: number): Promise<string>;
  /** Writes a feed row without a NOTIFY: a revocation committed while no one listened. Answers the session id. */
  revokeQuietly(): Promise<string>;
  /** The feed's head: the last row's `seq`, 0 when none. */
  head(): Promise<number>;
  /** Backends of this database whose last statement is the feed's `LISTEN` (the listening connection). */
  listeners(): Promise<number[]>;
}

let copies = 0;

/** A database of the test's own with user-service's schema, dropped when `t` ends. */
export async function feedDatabase(
  t: ExecutionContext,
  postgres: PostgresServer,
  options: { poolMax?: number; port?: number } = {},
): Promise<FeedDatabase> {
  copies += 1;
  const name = `feed_${process.pid}_${copies}`;
  await postgres.query(`CREATE DATABASE ${name} TEMPLATE users`);
  const admin = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: name,
  });
  await admin.connect();
  const db = new Database({
    host: '127.0.0.1',
    port: options.port ?? postgres.port,
    database: name,
    credentials: new StaticCredentials({ username: postgres.user, password: postgres.password }),
    deadlines: { connectMs: 5_000 },
    pool: { max: options.poolMax ?? 2, acquireMs: 2_000 },
  });
  t.teardown(async () => {
    await db.close();
    await admin.end();
    await postgres.query(`DROP DATABASE ${name} WITH (FORCE)`);
  });
  const sql = async <Row extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<Row[]> =>
    (await admin.query<Row>(text, params)).rows;
  const newSession = async (): Promise<{ sid: string; user: string }> => {
    const [user, sid] = [randomUUID(), randomUUID()];
    await sql(`INSERT INTO users (id, email, email_normalized, password_hash) VALUES ($1, $2, $2, 'x')`, [
      user,
      `${user}@example.org`,
    ]);
    await sql(`INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`, [sid, user]);
    return { sid, user };
  };
  return {
    name,
    db,
    sql,
    async revoke(agoSeconds = 0) {
      const { sid } = await newSession();
      await sql('BEGIN');
      await sql(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1`, [sid]);
      await sql(
        'UPDATE session_revocations SET revoked_at = revoked_at - make_interval(secs => $2) WHERE session_id = $1',
        [sid, agoSeconds],
      );
      await sql('COMMIT');
      return sid;
    },
    async revokeQuietly() {
      const { sid, user } = await newSession();
      await sql('INSERT INTO session_revocations (session_id, user_id) VALUES ($1, $2)', [sid, user]);
      return sid;
    },
    async head() {
      const [row] = await sql<{ head: string }>('SELECT COALESCE(max(seq), 0) AS head FROM session_revocations');
      return Number(row!.head);
    },
    async listeners() {
      const rows = await sql<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query = 'LISTEN session_revoked'`,
        [name],
      );
      return rows.map((row) => row.pid);
    },
  };
}

/** Resolves with `promise`, or throws naming `what` after `ms`: every wait of these tests is bounded. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  const timer = sleep(ms, undefined, { ref: false }).then(() => {
    throw new Error(`${what}: not within ${ms} ms`);
  });
  return Promise.race([promise, timer]);
}

/** A started `RevocationFeed` on `database`, stopped (bounded) when `t` ends. */
export function startedFeed(
  t: ExecutionContext,
  database: FeedDatabase,
  options: RevocationFeedOptions,
  logger: Logger = capturedLogger('user-service').logger,
): RevocationFeed {
  const feed = new RevocationFeed(database.db.sequelize, logger, options);
  feed.start();
  t.teardown(() => within(5_000, 'feed.stop()', feed.stop()).catch(() => undefined));
  return feed;
}

/** Waits (up to 5 s) until the feed's listening connection is in place, and answers its backend pid. */
export async function listening(database: FeedDatabase): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const [pid] = await database.listeners();
    if (pid !== undefined) return pid;
    if (Date.now() > deadline) throw new Error('the feed is not listening after 5 s');
    await sleep(20);
  }
}

export interface FeedServer {
  /** The feed's URL, as api-gateway is configured with it. */
  url: string;
  /** The kit app's base URL. */
  origin: string;
  /** The path and query string of every request the server received, in order. */
  requests: string[];
}

/**
 * user-service's real feed route for `feed` on a kit app on 127.0.0.1 (`port`, default a free one), closed when `t`
 * ends. `cut(n)` is the one scripted failure: from request `n` on, the connection is dropped before any answer — a
 * feed lost mid-way, which the real service cannot be made to do on demand between two requests of a follower.
 */
export async function feedServer(
  t: ExecutionContext,
  feed: RevocationFeed,
  options: { port?: number; cutFrom?: number } = {},
): Promise<FeedServer> {
  const requests: string[] = [];
  const record: Middleware = async (ctx, next) => {
    requests.push(ctx.url);
    if (options.cutFrom !== undefined && requests.length >= options.cutFrom) {
      ctx.req.socket.destroy();
      return;
    }
    await next();
  };
  const { logger } = capturedLogger('user-service');
  const service = createApp({ name: 'user-service', logger, beforeRouting: [record] });
  mountOperations(service.router, revocationRoutes(feed));
  const server: RunningServer = await listen(service.app, { port: options.port ?? 0 });
  // Held polls end first (the feed answers them on stop), so the close does not wait out a hold.
  t.teardown(async () => {
    await within(5_000, 'feed.stop()', feed.stop()).catch(() => undefined);
    await server.close(100);
  });
  return { url: `${server.url}/internal/session-revocations`, origin: server.url, requests };
}
