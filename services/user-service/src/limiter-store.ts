import { createHash } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { PostgresLimiter } from '@cf/kit';

/**
 * Points a {@link PostgresCounter} holds: far above any count its callers compare against, so counting never
 * rejects.
 */
const COUNT_ONLY = 1_000_000;

/** One counter of the shared `rate_limits` table: its key prefix, its points and its window in seconds. */
export interface LimiterSpec {
  /** Distinguishes this counter's rows in the table (`<keyPrefix>:<key>`). */
  keyPrefix: string;
  /** Consumptions allowed per window before `consume` rejects (a counter that never refuses is a `PostgresCounter`). */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

/**
 * A `rate-limiter-flexible` limiter kept in the `rate_limits` table (created by the migrations, so `tableCreated`),
 * which makes a limit hold across replicas. Every limiter of the service is built here so that they share that
 * table and its settings: the library's expired-row timer stays off — it runs an unbounded DELETE every 5 minutes
 * per limiter — because `src/housekeeping.ts` deletes expired rows in bounded batches. It is the kit's
 * `PostgresLimiter`: each call has the kit's `LIMIT_CHECK_DEADLINE_MS` (8 s) deadline, and a call whose pool
 * connection was not ready in time (the kit's pool as `databaseFromEnv` builds it, `DatabaseOptions` defaults: at
 * most 10 connections, 5 s to open one, 10 s to wait for one) is tried again within it, so a 503 means PostgreSQL
 * failed or the 8 s passed, never that our own requests were queued at the pool or a handshake was slow.
 */
export function postgresLimiter(sequelize: Sequelize, spec: LimiterSpec): PostgresLimiter {
  return new PostgresLimiter({
    storeClient: sequelize,
    storeType: 'sequelize',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    ...spec,
  });
}

/**
 * A count per key over a window, kept like every limiter in `rate_limits` (so all replicas share it), that never
 * refuses: its callers compare the count with a threshold of their own (failed logins before a captcha is asked
 * for, captcha fetches before challenges get dearer).
 */
export class PostgresCounter {
  private readonly limiter: PostgresLimiter;

  constructor(sequelize: Sequelize, keyPrefix: string, windowSeconds: number) {
    this.limiter = postgresLimiter(sequelize, { keyPrefix, points: COUNT_ONLY, duration: windowSeconds });
  }

  /** Counts one more for `key`: the count in the window, this one included. */
  async add(key: string): Promise<number> {
    return (await this.limiter.penalty(key, 1)).consumedPoints;
  }

  /** The count for `key` in the window; 0 when there is none. */
  async count(key: string): Promise<number> {
    return (await this.limiter.get(key))?.consumedPoints ?? 0;
  }

  /** Starts `key`'s count afresh. */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/**
 * A limiter key part of bounded size whatever the input: the SHA-256 of it in hex (64 characters). With the longest
 * prefix and an IPv6 address, a key stays far below the `rate_limits.key varchar(255)` column (issue 22: a
 * 238-character email used to overflow it), and no address or email is stored in the clear.
 */
export function boundedKey(part: string): string {
  return createHash('sha256').update(part).digest('hex');
}
