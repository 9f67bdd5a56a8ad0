import type { Context, Middleware } from 'koa';
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

  constructor(perIp: number, perUser: number, windowSeconds: number) {
    this.perIp = new RateLimiterMemory({ keyPrefix: 'ip', points: perIp, duration: windowSeconds });
    this.perUser = new RateLimiterMemory({ keyPrefix: 'user', points: perUser, duration: windowSeconds });
  }

  private static async consume(limiter: RateLimiterMemory, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) throw HttpProblem.tooManyRequests(result.msBeforeNext / 1000);
      throw result;
    }
  }

  byIp(): Middleware {
    return async (ctx, next) => {
      await EdgeRateLimits.consume(this.perIp, ctx.ip);
      await next();
    };
  }

  /** After authentication: the key is the verified subject, never a client-supplied value. */
  byUser(): Middleware {
    return async (ctx: Context, next) => {
      const subject = (ctx.state['claims'] as { sub?: string } | undefined)?.sub;
      if (subject !== undefined) await EdgeRateLimits.consume(this.perUser, subject);
      await next();
    };
  }
}
