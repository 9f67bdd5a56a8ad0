import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { ConnectionAcquireTimeoutError, ConnectionError, ConnectionTimedOutError } from 'sequelize';

/**
 * Default deadline of one limit check (any call of a {@link PostgresLimiter} that reaches PostgreSQL), in ms:
 * 8 s. Below api-gateway's default `UPSTREAM_TIMEOUT_MS` (10 s), so a client behind it gets the service's 503 with
 * Retry-After rather than the gateway's 504; above the kit's connect deadline (`DatabaseOptions.deadlines.connectMs`,
 * 5 s), so a check whose first connection was too slow to open still has time for a second.
 */
export const LIMIT_CHECK_DEADLINE_MS = 8_000;

/** A limit check that did not finish within its deadline; the caller fails closed (503). */
export class LimitCheckDeadlineExceeded extends Error {
  readonly deadlineMs: number;

  constructor(deadlineMs: number, cause: unknown) {
    super(`limit check did not finish within its ${deadlineMs} ms deadline`, { cause });
    this.name = 'LimitCheckDeadlineExceeded';
    this.deadlineMs = deadlineMs;
  }
}

/**
 * Whether `error` only says that the pool had no connection to give in time — pg's connect deadline ("timeout
 * expired": the handshake did not finish in `connectMs`) or the pool's acquire deadline — so no statement was sent
 * and the call can simply be tried again. Under CPU load both happen while PostgreSQL is perfectly reachable: the
 * handshake's SCRAM work and the backend's start wait for a core, and our own requests queue for the pool. A
 * refused or unresolvable address, a rejected login, a connection lost mid-statement or an SQL error are not this.
 */
export function connectionNotReady(error: unknown): boolean {
  if (error instanceof ConnectionAcquireTimeoutError || error instanceof ConnectionTimedOutError) return true;
  // Sequelize wraps pg's connect deadline in the base class; its subclasses name definite failures (refused, …).
  return (
    error instanceof ConnectionError &&
    error.constructor === ConnectionError &&
    error.original instanceof Error &&
    error.original.message === 'timeout expired'
  );
}

/** Backoff between attempts whose connection was not ready: short, since the next one may already be free. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 500;

/**
 * Runs `attempt` until it settles with anything but {@link connectionNotReady}, and at most `deadlineMs` in all;
 * past the deadline it rejects with {@link LimitCheckDeadlineExceeded} (an attempt still running then may finish
 * later; its result is dropped, so the check fails closed).
 */
async function withinDeadline<T>(attempt: () => Promise<T>, deadlineMs: number): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let notReady: unknown;
  for (let waitMs = RETRY_FIRST_MS; ; waitMs = Math.min(waitMs * 2, RETRY_MAX_MS)) {
    const leftMs = deadline - Date.now();
    if (leftMs <= 0) throw new LimitCheckDeadlineExceeded(deadlineMs, notReady);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LimitCheckDeadlineExceeded(deadlineMs, notReady)), leftMs);
    });
    try {
      return await Promise.race([attempt(), expired]);
    } catch (error) {
      if (!connectionNotReady(error)) throw error;
      notReady = error;
    } finally {
      clearTimeout(timer);
    }
    await sleep(Math.min(waitMs, Math.max(0, deadline - Date.now())));
  }
}

/** The library's calls that reach PostgreSQL (v11.4); each one gets the deadline. */
const STORE_CALLS = ['consume', 'penalty', 'reward', 'get', 'set', 'block', 'delete'] as const;
type StoreCall = (typeof STORE_CALLS)[number];

/** The library's options (its options type is not exported), plus the deadline. */
export type PostgresLimiterOptions = ConstructorParameters<typeof RateLimiterPostgres>[0] & {
  /** Deadline of each call, in ms. Default {@link LIMIT_CHECK_DEADLINE_MS}. */
  deadlineMs?: number;
};

/**
 * rate-limiter-flexible's RateLimiterPostgres whose calls fail only when PostgreSQL does: each call has one
 * deadline (`deadlineMs`), and an attempt that could not get a pool connection in time is tried again within it
 * instead of failing — the library sends its one statement only once it holds a connection, so nothing is counted
 * twice. Without this, under load (measured at load 35 on 2 cores: connects of up to 4.3 s, and past the 5 s
 * connect deadline in user-service while registrations hashed passwords) pg's connect deadline rejected whichever
 * request waited first at the pool, and the limit answered 503 "rate limiting is unavailable" with PostgreSQL up.
 * A refusal (`RateLimiterRes`) and every other error pass through at once: an unreachable PostgreSQL still fails
 * the check immediately.
 */
export class PostgresLimiter extends RateLimiterPostgres {
  readonly deadlineMs: number;

  constructor({ deadlineMs, ...options }: PostgresLimiterOptions) {
    super(options);
    this.deadlineMs = deadlineMs ?? LIMIT_CHECK_DEADLINE_MS;
    // Each call that reaches PostgreSQL, wrapped on the instance: the public types stay the library's own.
    const calls = this as unknown as Record<StoreCall, (...args: unknown[]) => Promise<unknown>>;
    for (const name of STORE_CALLS) {
      const call = calls[name].bind(this);
      calls[name] = (...args) => withinDeadline(() => call(...args), this.deadlineMs);
    }
  }
}
