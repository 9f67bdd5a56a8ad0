import type { Context, Middleware } from 'koa';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem } from '@cf/kit';

/**
 * Request limits per client address and per user, kept in each gateway replica's memory: they bound
 * what one client can make one replica do. Credential stuffing is limited where it matters, in
 * user-service, whose limits are shared by all replicas.
 */
export class EdgeRateLimits {
  private readonly perIp: RateLimiterMemory;
  private readonly perUser: RateLimiterMemory;
  /** `gateway_rate_limited_total{limit="ip"|"user"}`: requests refused with 429 by this replica. */
  private readonly refused: Counter<'limit'>;

  constructor(perIp: number, perUser: number, windowSeconds: number, registry: Registry) {
    this.perIp = new RateLimiterMemory({ keyPrefix: 'ip', points: perIp, duration: windowSeconds });
    this.perUser = new RateLimiterMemory({ keyPrefix: 'user', points: perUser, duration: windowSeconds });
    this.refused = new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429 by the gateway, by limit',
      labelNames: ['limit'] as const,
      registers: [registry],
    });
  }

  private async consume(limiter: RateLimiterMemory, key: string, limit: 'ip' | 'user'): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        this.refused.inc({ limit });
        throw HttpProblem.tooManyRequests(result.msBeforeNext / 1000);
      }
      throw result;
    }
  }

  byIp(): Middleware {
    return async (ctx, next) => {
      await this.consume(this.perIp, ctx.ip, 'ip');
      await next();
    };
  }

  /** After authentication: the key is the verified subject, never a client-supplied value. */
  byUser(): Middleware {
    return async (ctx: Context, next) => {
      const subject = (ctx.state['claims'] as { sub?: string } | undefined)?.sub;
      if (subject !== undefined) await this.consume(this.perUser, subject, 'user');
      await next();
    };
  }
}
