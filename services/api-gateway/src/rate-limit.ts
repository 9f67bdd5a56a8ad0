import type { Context, Middleware } from 'koa';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { HttpProblem, type Database, type Logger } from '@cf/kit';
import { RATE_LIMITS_TABLE } from './rate-limit-store.ts';

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
  /** After the store failed, how long this replica counts in memory before trying it again. Default: 5000 ms. */
  storeRetryMs?: number;
}

interface Limiter {
  name: LimitName;
  points: number;
  /** The count every replica shares, or undefined without a store. */
  shared: RLWrapperTimeouts | undefined;
  /** This replica's own count: the only one without a store, the fallback while the store fails. */
  local: RateLimiterMemory;
}

/**
 * Request limits per client address and per user. With a store (the cluster, `npm start`) every replica counts
 * into the same PostgreSQL rows (rate-limiter-flexible's RateLimiterPostgres: one atomic upsert per count), so
 * a limit holds for the whole Deployment, not per pod. A key over its limit is then refused from this replica's
 * memory until its window ends, without asking PostgreSQL again.
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
  /** `gateway_rate_limit_store_failures_total`: counts that fell back to memory because PostgreSQL failed. */
  private readonly storeFailures: Counter;

  constructor(options: EdgeRateLimitOptions) {
    this.logger = options.logger;
    this.storeRetryMs = options.storeRetryMs ?? 5000;
    const limiter = (name: LimitName, points: number): Limiter => ({
      name,
      points,
      local: new RateLimiterMemory({ keyPrefix: name, points, duration: options.windowSeconds }),
      shared:
        options.store === undefined
          ? undefined
          : new RLWrapperTimeouts({
              limiter: new RateLimiterPostgres({
                storeClient: options.store,
                storeType: 'sequelize',
                tableName: RATE_LIMITS_TABLE,
                // The migration creates the table; until it has run, counts fail over to memory.
                tableCreated: true,
                keyPrefix: name,
                points,
                duration: options.windowSeconds,
                inMemoryBlockOnConsumed: points,
              }),
              timeoutMs: options.storeTimeoutMs ?? 250,
            }),
    });
    this.limiters = { ip: limiter('ip', options.perIp), user: limiter('user', options.perUser) };
    this.refused = new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429 by the gateway, by limit',
      labelNames: ['limit'] as const,
      registers: [options.registry],
    });
    this.storeFailures = new Counter({
      name: 'gateway_rate_limit_store_failures_total',
      help: 'Rate-limit counts that PostgreSQL failed or answered too late, so this replica counted them in memory',
      registers: [options.registry],
    });
  }

  /** Counts one request for `key`; resolves when it is within the limit, throws a 429 problem when it is not. */
  async consume(limit: LimitName, key: string): Promise<void> {
    const limiter = this.limiters[limit];
    try {
      await this.count(limiter, key);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        this.refused.inc({ limit });
        throw HttpProblem.tooManyRequests(result.msBeforeNext / 1000);
      }
      throw result;
    }
  }

  private async count(limiter: Limiter, key: string): Promise<RateLimiterRes> {
    if (limiter.shared === undefined || Date.now() < this.storeDownUntil) return limiter.local.consume(key);
    try {
      return await limiter.shared.consume(key);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error;
      this.storeFailures.inc();
      // Logged once per retry period: only the first count after the pause reaches this line.
      this.logger.warn(
        { err: error, retryMs: this.storeRetryMs },
        'rate-limit store failed; counting in this replica until it answers again',
      );
      this.storeDownUntil = Date.now() + this.storeRetryMs;
      return limiter.local.consume(key);
    }
  }

  /** Whether counts currently go to the shared store (false while it is failing, or without one). */
  shared(): boolean {
    return this.limiters.ip.shared !== undefined && Date.now() >= this.storeDownUntil;
  }

  /** Counts the client address; the request goes on once it is within the limit. */
  byIp(): Middleware {
    return async (ctx, next) => {
      await this.consume('ip', ctx.ip);
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
      const counted = this.consume('ip', ctx.ip);
      // Awaited by byUser() or below; never left to reject unobserved.
      counted.catch(() => undefined);
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
      await Promise.all([
        ctx.state[IP_COUNT] as Promise<void> | undefined,
        subject !== undefined ? this.consume('user', subject) : undefined,
      ]);
      await next();
    };
  }
}
