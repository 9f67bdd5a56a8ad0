import type { Context, Middleware } from 'koa';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem, type Database, type Logger } from '@cf/kit';
import { SharedCounts, type CountResult } from './shared-counts.ts';

export type LimitName = 'ip' | 'user';

/** Where `byIpAlongside()` leaves the pending count of the client address for `byUser()`. */
const IP_COUNT = 'rateLimitIpCount';

export interface EdgeRateLimitOptions {
  /** Requests per client address per window (RATE_LIMIT_PER_IP). */
  perIp: number;
  /** Requests per verified user per window (RATE_LIMIT_PER_USER). */
  perUser: number;
  windowSeconds: number;
  registry: Registry;
  logger: Logger;
  /**
   * The gateway's own database, where every replica counts into the same rows (table `rate_limits`, created by
   * the gateway's migration). Undefined: counts stay in this replica's memory (RATE_LIMIT_STORE=memory).
   */
  store?: Database['sequelize'] | undefined;
  /** Deadline of one count in PostgreSQL; past it the request is counted in memory instead. Default: 250 ms. */
  storeTimeoutMs?: number;
  /**
   * Share of each limit one replica may admit ahead of PostgreSQL (see shared-counts.ts): the budget per key is
   * `floor(limit × share)`, and N replicas admit at most `limit + N × budget` per window. 0: every count waits
   * for PostgreSQL and is exact. Default: 0.02.
   */
  localShare?: number;
  /** How often admitted counts are written to PostgreSQL, in milliseconds. Default: 100 (config.ts says why). */
  syncMs?: number;
  /** After the store failed, how long this replica counts in memory before trying it again. Default: 5000 ms. */
  storeRetryMs?: number;
}

interface Limiter {
  name: LimitName;
  points: number;
  /** Requests per key this replica may admit before PostgreSQL has counted them. */
  budget: number;
  /** This replica's own count: the only one without a store, the fallback while the store fails. */
  local: RateLimiterMemory;
}

/**
 * Request limits per client address and per user. With a store (the cluster, `npm start`) every replica counts
 * into the same PostgreSQL rows (shared-counts.ts: counts written behind in one statement every `syncMs`), so a
 * limit holds for the whole Deployment, not per pod: N replicas admit at most `limit + N × floor(limit ×
 * localShare)` per window (defaults: 600 per address → 600 + 12·N, 300 per user → 300 + 6·N). A request
 * within its replica's budget is admitted without waiting for PostgreSQL; a key known to be over its limit is
 * refused from memory until its window ends, without asking PostgreSQL again.
 *
 * When PostgreSQL fails or is slower than `storeTimeoutMs`, the request is still served: it is counted in this
 * replica's memory (the same limits, per replica — N replicas admit up to N× the limit), the failure is counted
 * in `gateway_rate_limit_store_failures_total`, and the store is tried again after `storeRetryMs`. Rate limits
 * never turn a PostgreSQL outage into 500s at the edge.
 */
export class EdgeRateLimits {
  private readonly limiters: Record<LimitName, Limiter>;
  private readonly logger: Logger;
  private readonly storeRetryMs: number;
  private storeDownUntil = 0;
  /** `gateway_rate_limited_total{limit="ip"|"user"}`: requests refused with 429 by this replica. */
  private readonly refused: Counter<'limit'>;
  /** `gateway_rate_limit_store_failures_total`: counts and writes of counts that PostgreSQL failed or answered late. */
  private readonly storeFailures: Counter;
  /** The counts every replica shares, or undefined without a store. */
  private readonly counts: SharedCounts | undefined;

  constructor(options: EdgeRateLimitOptions) {
    this.logger = options.logger;
    this.storeRetryMs = options.storeRetryMs ?? 5000;
    const share = options.localShare ?? 0.02;
    const limiter = (name: LimitName, points: number): Limiter => ({
      name,
      points,
      budget: Math.floor(points * share),
      local: new RateLimiterMemory({ keyPrefix: name, points, duration: options.windowSeconds }),
    });
    this.limiters = { ip: limiter('ip', options.perIp), user: limiter('user', options.perUser) };
    this.counts =
      options.store === undefined
        ? undefined
        : new SharedCounts({
            store: options.store,
            windowMs: options.windowSeconds * 1000,
            timeoutMs: options.storeTimeoutMs ?? 250,
            syncMs: options.syncMs ?? 100,
            // Until the migration has created the table, flushes fail and counts fail over to memory.
            onFailure: (error) => this.storeFailed(error),
          });
    this.refused = new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429 by the gateway, by limit',
      labelNames: ['limit'] as const,
      registers: [options.registry],
    });
    this.storeFailures = new Counter({
      name: 'gateway_rate_limit_store_failures_total',
      help: 'Rate-limit counts and writes of counts that PostgreSQL failed or answered too late (this replica then counts in memory)',
      registers: [options.registry],
    });
  }

  /**
   * Counts one request for `key`: undefined when it is within the limit and no store round trip was needed, else
   * a promise that resolves when it is within the limit; throws (or rejects with) a 429 problem when it is not.
   */
  consume(limit: LimitName, key: string): Promise<void> | undefined {
    const limiter = this.limiters[limit];
    if (this.counts === undefined || Date.now() < this.storeDownUntil) return this.consumeLocally(limiter, key);
    const counted = this.counts.count(`${limit}:${key}`, limiter.points, limiter.budget);
    if (!(counted instanceof Promise)) {
      this.settle(limiter, counted);
      return undefined;
    }
    return counted.then(
      (result) => this.settle(limiter, result),
      // StoreUnavailable: already counted and logged by onFailure; this request is counted here instead.
      () => this.consumeLocally(limiter, key),
    );
  }

  private settle(limiter: Limiter, result: CountResult): void {
    if (result.admitted) return;
    this.refused.inc({ limit: limiter.name });
    throw HttpProblem.tooManyRequests(Math.max(0, result.msBeforeNext) / 1000);
  }

  private async consumeLocally(limiter: Limiter, key: string): Promise<void> {
    try {
      await limiter.local.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        this.refused.inc({ limit: limiter.name });
        throw HttpProblem.tooManyRequests(result.msBeforeNext / 1000);
      }
      throw result;
    }
  }

  private storeFailed(error: unknown): void {
    this.storeFailures.inc();
    // Logged once per retry period: while the store is paused, no flush carries counts to fail.
    if (Date.now() >= this.storeDownUntil) {
      this.logger.warn(
        { err: error, retryMs: this.storeRetryMs },
        'rate-limit store failed; counting in this replica until it answers again',
      );
    }
    this.storeDownUntil = Date.now() + this.storeRetryMs;
  }

  /** Writes the counts not yet in PostgreSQL (bounded by the store deadline). */
  async close(): Promise<void> {
    await this.counts?.close();
  }

  /** Whether counts currently go to the shared store (false while it is failing, or without one). */
  shared(): boolean {
    return this.counts !== undefined && Date.now() >= this.storeDownUntil;
  }

  /** Counts the client address; the request goes on once it is within the limit. */
  byIp(): Middleware {
    return async (ctx, next) => {
      const counted = this.consume('ip', ctx.ip);
      if (counted !== undefined) await counted;
      await next();
    };
  }

  /**
   * For authenticated routes, with `byUser()` after authentication: the client address is counted while the
   * token is verified, and `byUser()` awaits that count together with the user's, so a request waits for one
   * store round trip instead of two. A request refused on the way (401) still answers 429 when its address is
   * over the limit, as with `byIp()`.
   */
  byIpAlongside(): Middleware {
    return async (ctx, next) => {
      // An address known to be over its limit is refused here, before the token is even looked at.
      const counted = this.consume('ip', ctx.ip);
      // Awaited by byUser() or below; never left to reject unobserved.
      counted?.catch(() => undefined);
      ctx.state[IP_COUNT] = counted;
      try {
        await next();
      } catch (error) {
        await counted;
        throw error;
      }
    };
  }

  /** After authentication: the key is the verified subject, never a client-supplied value. */
  byUser(): Middleware {
    return async (ctx: Context, next) => {
      const subject = (ctx.state['claims'] as { sub?: string } | undefined)?.sub;
      const ip = ctx.state[IP_COUNT] as Promise<void> | undefined;
      let user: Promise<void> | undefined;
      try {
        user = subject !== undefined ? this.consume('user', subject) : undefined;
      } catch (error) {
        user = Promise.reject(error as Error);
      }
      // Both counts at once: a request waits for one store round trip at most, not two.
      if (ip !== undefined || user !== undefined) await Promise.all([ip, user]);
      await next();
    };
  }
}
