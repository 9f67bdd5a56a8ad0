import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@cf/kit';
import { RATE_LIMITS_TABLE, rateLimitMigrations } from '../../services/api-gateway/src/rate-limit-store.ts';
import {
  SharedCounts,
  type CountResult,
  type SharedCountsOptions,
} from '../../services/api-gateway/src/shared-counts.ts';
import { kitDatabase, migratedPostgresForFile } from '../support/kit-database.ts';
import type { PostgresServer } from '../support/postgres.ts';

// What the SharedCounts suites (shared-counts*.test.ts) share: a real PostgreSQL per file with the gateway's table,
// keys, counters and the reads of the table.

export const DATABASE = 'gateway';

/** The file's PostgreSQL, with the gateway's table and the slow-key trigger (call once, at the top of a test file). */
export function sharedCountsPostgresForFile(): PostgresServer {
  const postgres = migratedPostgresForFile(DATABASE, rateLimitMigrations);

  // A slow PostgreSQL for real, for keys that ask for it: `slow:<ms>:<min delta>:<id>` sleeps <ms> before the row is
  // written whenever a flush adds at least <min delta> to it. Only those keys are slowed, so the other tests of the
  // file run alongside.
  test.serial.before(async () => {
    const db = kitDatabase(postgres, { port: postgres.port, database: DATABASE });
    try {
      await db.sequelize.query(`
        CREATE FUNCTION slow_keys() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE parts text[] := string_to_array(NEW.key, ':');
        BEGIN
          IF parts[1] = 'slow' AND NEW.points >= parts[3]::integer THEN
            PERFORM pg_sleep(parts[2]::integer / 1000.0);
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER slow_keys BEFORE INSERT ON ${RATE_LIMITS_TABLE} FOR EACH ROW EXECUTE FUNCTION slow_keys();`);
    } finally {
      await db.close();
    }
  });
  return postgres;
}

/** A key no other test counts. */
export const freshKey = (): string => `ip:test-${randomUUID()}`;

/** A key whose writes take `sleepMs` in PostgreSQL whenever a flush adds at least `minDelta` to it. */
export const slowKey = (sleepMs: number, minDelta = 1): string => `slow:${sleepMs}:${minDelta}:${randomUUID()}`;

/**
 * A pool of its own on this file's PostgreSQL (a slow statement holds a connection), closed when `t` ends. Both
 * its connections are opened here, so that opening one on a loaded machine does not count against a deadline.
 */
export async function storeFor(t: ExecutionContext, postgres: PostgresServer): Promise<Database> {
  const db = kitDatabase(postgres, { port: postgres.port, database: DATABASE });
  t.teardown(() => db.close());
  await Promise.all([db.sequelize.query('SELECT pg_sleep(0.05)'), db.sequelize.query('SELECT pg_sleep(0.05)')]);
  return db;
}

export interface Counter {
  counts: SharedCounts;
  /** Every error `onFailure` was called with, in order. */
  failures: unknown[];
}

/** A SharedCounts on `db` (a minute's window unless told), closed when `t` ends, before `db` is. */
export function countsOn(t: ExecutionContext, db: Database, options: Partial<SharedCountsOptions> = {}): Counter {
  const failures: unknown[] = [];
  const counts = new SharedCounts({
    store: db.sequelize,
    windowMs: 60_000,
    timeoutMs: 1_000,
    syncMs: 20,
    onFailure: (error) => failures.push(error),
    ...options,
  });
  t.teardown(() => counts.close().catch(() => undefined));
  return { counts, failures };
}

/** The row of `key` in the table, as numbers, or undefined. */
export async function rowOf(db: Database, key: string): Promise<{ points: number; expire: number } | undefined> {
  const [rows] = (await db.sequelize.query(`SELECT points, expire FROM ${RATE_LIMITS_TABLE} WHERE key = $1`, {
    bind: [key],
  })) as [{ points: number; expire: string }[], unknown];
  const row = rows[0];
  return row === undefined ? undefined : { points: Number(row.points), expire: Number(row.expire) };
}

/** Polls `read` until `done` holds of its value, for at most `boundMs` (then returns the last value). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, boundMs = 5_000): Promise<T> {
  const until = Date.now() + boundMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await sleep(20);
    value = await read();
  }
  return value;
}

/** What a count answered, awaited when it had to wait. */
export async function settled(result: CountResult | Promise<CountResult>): Promise<CountResult> {
  return result;
}
