import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Sequelize } from 'sequelize';
import { HttpProblem } from '@cf/kit';

export interface RateLimitSettings {
  loginPerEmailIp: number;
  loginPerIp: number;
  registerPerIp: number;
  windowSeconds: number;
}

/**
 * Limits kept in PostgreSQL so they hold across replicas. Logins are limited per (email, IP) and per IP —
 * never per email alone, so an attacker elsewhere cannot lock a victim out; a successful login clears
 * its (email, IP) counter.
 */
export class RateLimits {
  private readonly loginEmailIp: RateLimiterPostgres;
  private readonly loginIp: RateLimiterPostgres;
  private readonly registerIp: RateLimiterPostgres;

  constructor(sequelize: Sequelize, settings: RateLimitSettings) {
    const common = {
      storeClient: sequelize,
      storeType: 'sequelize',
      tableName: 'rate_limits',
      tableCreated: true,
      duration: settings.windowSeconds,
    };
    this.loginEmailIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login-email-ip',
      points: settings.loginPerEmailIp,
    });
    this.loginIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login-ip', points: settings.loginPerIp });
    this.registerIp = new RateLimiterPostgres({ ...common, keyPrefix: 'register-ip', points: settings.registerPerIp });
  }

  private async consume(limiter: RateLimiterPostgres, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        throw HttpProblem.tooManyRequests(result.msBeforeNext / 1000, 'too many attempts; try again later');
      }
      throw HttpProblem.unavailable('rate limiting is unavailable; try again shortly', 5);
    }
  }

  async loginAttempt(email: string, ip: string): Promise<void> {
    const results = await Promise.allSettled([
      this.consume(this.loginIp, ip),
      this.consume(this.loginEmailIp, `${email}|${ip}`),
    ]);
    const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (refused !== undefined) throw refused.reason;
  }

  async loginSucceeded(email: string, ip: string): Promise<void> {
    await this.loginEmailIp.delete(`${email}|${ip}`).catch(() => undefined);
  }

  async registerAttempt(ip: string): Promise<void> {
    await this.consume(this.registerIp, ip);
  }
}
