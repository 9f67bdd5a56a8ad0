import { createHash } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { PostgresLimiter } from '@cf/kit';

/**
 * Points a counter holds when it only counts and never refuses (the login-captcha and captcha-price counters): far
 * above any count those callers compare against, so `consume`/`penalty` never reject.
 */
export const COUNT_ONLY = 1_000_000;

/** One counter of the shared `rate_limits` table: its key prefix, its points and its window in seconds. */
export interface LimiterSpec {
  /** Distinguishes this counter's rows in the table (`<keyPrefix>:<key>`). */
  keyPrefix: string;
  /** Consumptions allowed per window before `consume` rejects ({@link COUNT_ONLY} for a counter that never refuses). */
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
 * A limiter key part of bounded size whatever the input: the SHA-256 of it in hex (64 characters). With the longest
 * prefix and an IPv6 address, a key stays far below the `rate_limits.key varchar(255)` column (issue 22: a
 * 238-character email used to overflow it), and no address or email is stored in the clear.
 */
export function boundedKey(part: string): string {
  return createHash('sha256').update(part).digest('hex');
}
