import { QueryTypes } from 'sequelize';
import type { Database } from '@cf/kit';
import { RATE_LIMITS_TABLE } from './rate-limit-store.ts';

/** What a count decided: admitted, or over the limit with how long until the window ends. */
export type CountResult = { admitted: true } | { admitted: false; msBeforeNext: number };

/** PostgreSQL failed or missed the deadline; the caller counts the request some other way. */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super('rate-limit store unavailable', { cause });
    this.name = 'StoreUnavailable';
  }
}

export interface SharedCountsOptions {
  store: Database['sequelize'];
  /** Window length, in milliseconds (fixed windows, as rate-limiter-flexible's RateLimiterPostgres keeps them). */
  windowMs: number;
  /**
   * Longest a count may wait for PostgreSQL before it fails over; a flush that carries no waiting count may take
   * 4 times as long before it counts as a failure.
   */
  timeoutMs: number;
  /** How often admitted counts are written to PostgreSQL, in milliseconds. */
  syncMs: number;
  /** Called once per failed flush and per count that waited past `timeoutMs` (the caller logs and counts it). */
  onFailure: (error: unknown) => void;
}

/** How often ended windows are deleted from the table (rate-limiter-flexible's own period for it). */
const PURGE_EVERY_MS = 300_000;

interface Waiter {
  resolve: (result: CountResult) => void;
  reject: (error: StoreUnavailable) => void;
  timer: NodeJS.Timeout;
}

interface KeyState {
  points: number;
  /** Requests this replica admitted for the key that no flush has written yet (≤ the key's budget). */
  pending: number;
  /** Requests waiting for the next flush to learn their place in the window. */
  waiters: Waiter[];
  /** The window's total in PostgreSQL, all replicas together, as the last flush of this key returned it. */
  known: number;
  /** When that window ends (epoch ms); 0 while unknown. */
  expire: number;
}

interface Row {
  key: string;
  points: number;
  expire: string | number;
}

/**
 * Write-behind counts in the gateway's `rate_limits` table, shared by every replica. Why not
 * rate-limiter-flexible's RateLimiterPostgres alone: each of its counts is one upsert awaited by the request
 * (2 ms of the gateway's 4 ms at p50 in bench/gateway), and none of its options takes that off the request's
 * path — `insuranceLimiter` only acts when the store fails, `inMemoryBlockOnConsumed` only once a key is over.
 *
 * Each key has a budget B. While this replica has fewer than B of the key's requests not yet written and its
 * last known window total plus those is under the limit, a request is admitted from memory at once; every
 * `syncMs` one statement adds all such pending counts to PostgreSQL (same table, keys and fixed-window rules as
 * the library's upsert, lib/RateLimiterPostgres.js `_upsert`, v11.4) and learns each key's total across
 * replicas. A request past its replica's budget waits for the next flush (at most `timeoutMs`) and gets its
 * exact place in the window. With B = 0 every count is exact, as with the library.
 *
 * Worst case: with N replicas, a key admits at most `limit + N × B` requests per window. Proof sketch: counts
 * written with an exact place are admitted only within the limit; a replica admits from memory only while its
 * last flush of the key returned a total under the limit, so once a flush has returned a total at or over the
 * limit, each replica adds at most the one batch (≤ B) it admitted before its own next flush tells it so.
 * Proven with two gateway processes in test/api-gateway/shared-limits.test.ts.
 *
 * A flush that fails or misses `timeoutMs` throws `StoreUnavailable` to the requests waiting on it; the counts
 * it carried are dropped (it may still commit late; counting twice would refuse more than the limit says).
 * A waiting request's own `timeoutMs` runs from its count, not from its flush: one that waited behind a slow flush
 * can be refused as unavailable (and counted in memory by the caller) while its own flush still commits it. That
 * request is then counted twice, once in each place — the price of bounding every wait, and on the side of
 * refusing, never of admitting past the limit.
 */
export class SharedCounts {
  private readonly options: SharedCountsOptions;
  private readonly keys = new Map<string, KeyState>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private again = false;
  private lastSweep = Date.now();
  private lastPurge = Date.now();

  constructor(options: SharedCountsOptions) {
    this.options = options;
  }

  /**
   * Counts one request for `key` (e.g. `ip:203.0.113.7`) under `points` per window with budget `budget`.
   * Synchronous (no store round trip) whenever the budget allows; otherwise a promise settled by the next flush.
   */
  count(key: string, points: number, budget: number): CountResult | Promise<CountResult> {
    const now = Date.now();
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { points, pending: 0, waiters: [], known: 0, expire: 0 };
      this.keys.set(key, state);
    } else if (state.expire !== 0 && now >= state.expire) {
      state.known = 0;
      state.expire = 0;
    }
    // The known total only grows within a window, so this refusal is certain, whatever other replicas did.
    if (state.known + state.pending >= points) {
      return { admitted: false, msBeforeNext: state.expire !== 0 ? state.expire - now : this.options.windowMs };
    }
    if (state.pending < budget && state.waiters.length === 0) {
      state.pending += 1;
      this.schedule(this.options.syncMs);
      return { admitted: true };
    }
    const waiting = state;
    return new Promise<CountResult>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = waiting.waiters.indexOf(waiter);
          if (index >= 0) waiting.waiters.splice(index, 1);
          const error = new Error(`no answer within ${this.options.timeoutMs} ms`);
          this.options.onFailure(error);
          reject(new StoreUnavailable(error));
        }, this.options.timeoutMs),
      };
      waiting.waiters.push(waiter);
      this.schedule(0);
    });
  }

  private schedule(delayMs: number): void {
    if (this.flushing !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.again) {
          this.again = false;
          const waiting = [...this.keys.values()].some((state) => state.waiters.length > 0);
          const pending = [...this.keys.values()].some((state) => state.pending > 0);
          if (waiting || pending) this.schedule(waiting ? 0 : this.options.syncMs);
        }
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Writes every pending and waiting count in one statement; at most one flush runs at a time. */
  private async flush(): Promise<void> {
    // Before the batch is taken: afterwards every key in it has nothing pending, and one new to this replica (expire
    // still 0) would be forgotten while its flush is under way, losing the total the flush is about to learn.
    this.sweep();
    const batch: { key: string; state: KeyState; pending: number; waiters: Waiter[] }[] = [];
    for (const [key, state] of this.keys) {
      if (state.pending === 0 && state.waiters.length === 0) continue;
      batch.push({ key, state, pending: state.pending, waiters: state.waiters });
      state.pending = 0;
      state.waiters = [];
    }
    if (batch.length === 0) return;
    // One lock order for every replica, so concurrent flushes of the same keys cannot deadlock.
    batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const now = Date.now();
    // Only waiting requests need the store deadline; counts already admitted may take longer to write without
    // sending the replica to memory counting (their budget still bounds what it admits meanwhile).
    const deadlineMs = this.options.timeoutMs * (batch.some((entry) => entry.waiters.length > 0) ? 1 : 4);
    let rows: Row[];
    let deadline: NodeJS.Timeout | undefined;
    try {
      rows = await Promise.race([
        this.options.store.query<Row>(
          `INSERT INTO ${RATE_LIMITS_TABLE} (key, points, expire)
             SELECT key, delta, $3::bigint FROM unnest($1::varchar[], $2::integer[]) AS batch(key, delta)
           ON CONFLICT (key) DO UPDATE SET
             points = CASE WHEN ${RATE_LIMITS_TABLE}.expire <= $4 THEN EXCLUDED.points
                           ELSE ${RATE_LIMITS_TABLE}.points + EXCLUDED.points END,
             expire = CASE WHEN ${RATE_LIMITS_TABLE}.expire <= $4 THEN EXCLUDED.expire
                           ELSE ${RATE_LIMITS_TABLE}.expire END
           RETURNING key, points, expire`,
          {
            bind: [
              batch.map((entry) => entry.key),
              batch.map((entry) => entry.pending + entry.waiters.length),
              now + this.options.windowMs,
              now,
            ],
            type: QueryTypes.SELECT,
          },
        ),
        new Promise<never>((_, reject) => {
          deadline = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
        }),
      ]);
    } catch (error) {
      this.options.onFailure(error);
      for (const entry of batch) {
        for (const waiter of entry.waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(new StoreUnavailable(error));
        }
      }
      return;
    } finally {
      clearTimeout(deadline);
    }
    const byKey = new Map(rows.map((row) => [row.key, row]));
    for (const entry of batch) {
      const row = byKey.get(entry.key);
      if (row === undefined) continue;
      const total = Number(row.points);
      const expire = Number(row.expire);
      entry.state.known = total;
      entry.state.expire = expire;
      // The pending counts were admitted already and took their places first; each waiter's place follows.
      let place = total - entry.waiters.length;
      for (const waiter of entry.waiters) {
        place += 1;
        clearTimeout(waiter.timer);
        waiter.resolve(
          place <= entry.state.points ? { admitted: true } : { admitted: false, msBeforeNext: expire - Date.now() },
        );
      }
    }
  }

  /**
   * Forgets keys whose window ended with nothing left to write (memory stays bounded by the active keys), and
   * every 5 minutes deletes ended windows from the table, as the library's `clearExpiredByTimeout` did.
   */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      // Not awaited by anyone; a failure only leaves dead rows for the next purge.
      this.options.store
        .query(`DELETE FROM ${RATE_LIMITS_TABLE} WHERE expire < $1`, { bind: [now] })
        .catch(() => undefined);
    }
    if (now - this.lastSweep < this.options.windowMs) return;
    this.lastSweep = now;
    for (const [key, state] of this.keys) {
      if (state.pending === 0 && state.waiters.length === 0 && (state.expire === 0 || state.expire <= now)) {
        this.keys.delete(key);
      }
    }
  }

  /** Writes what is pending (bounded by `timeoutMs`), then stops. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }
}
