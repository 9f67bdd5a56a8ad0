import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Sequelize } from 'sequelize';
import { HttpProblem, type Logger } from '@cf/kit';

/**
 * A limiter key part of bounded size whatever the input: a SHA-256 of it (64 hex characters). With the
 * longest prefix and an IPv6 address, a key stays far below the `rate_limits.key varchar(255)` column
 * (issue 22: a 238-character email used to overflow it).
 */
function bounded(part: string): string {
  return createHash('sha256').update(part).digest('hex');
}

export interface RateLimitSettings {
  loginPerEmailIp: number;
  loginPerIp: number;
  registerPerIp: number;
  windowSeconds: number;
  /** Password-reset requests per address and per IP, and verification mails per user, each per hour (issue 18). */
  resetPerEmail?: number;
  resetPerIp?: number;
  verificationMailsPerUser?: number;
  /** Passwordless-login options per IP per window; default `loginPerIp` (each call stores a WebAuthn challenge). */
  passkeyOptionsPerIp?: number;
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
  private readonly resetEmail: RateLimiterPostgres;
  private readonly resetIp: RateLimiterPostgres;
  private readonly verificationMails: RateLimiterPostgres;
  private readonly passkeyOptionsIp: RateLimiterPostgres;
  private readonly logger: Logger;

  constructor(sequelize: Sequelize, settings: RateLimitSettings, logger: Logger) {
    this.logger = logger;
    const common = {
      storeClient: sequelize,
      storeType: 'sequelize',
      tableName: 'rate_limits',
      tableCreated: true,
      // Unbounded DELETEs every 5 min per limiter otherwise; src/housekeeping.ts deletes in bounded batches.
      clearExpiredByTimeout: false,
      duration: settings.windowSeconds,
    };
    this.loginEmailIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'login-email-ip',
      points: settings.loginPerEmailIp,
    });
    this.loginIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login-ip', points: settings.loginPerIp });
    this.registerIp = new RateLimiterPostgres({ ...common, keyPrefix: 'register-ip', points: settings.registerPerIp });
    const hourly = { ...common, duration: 3600 };
    this.resetEmail = new RateLimiterPostgres({
      ...hourly,
      keyPrefix: 'reset-email',
      points: settings.resetPerEmail ?? 3,
    });
    this.resetIp = new RateLimiterPostgres({ ...hourly, keyPrefix: 'reset-ip', points: settings.resetPerIp ?? 20 });
    this.verificationMails = new RateLimiterPostgres({
      ...hourly,
      keyPrefix: 'verification-mail',
      points: settings.verificationMailsPerUser ?? 5,
    });
    this.passkeyOptionsIp = new RateLimiterPostgres({
      ...common,
      keyPrefix: 'passkey-options-ip',
      points: settings.passkeyOptionsPerIp ?? settings.loginPerIp,
    });
  }

  private async consume(limiter: RateLimiterPostgres, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        throw HttpProblem.tooManyRequests(result.msBeforeNext / 1000, 'too many attempts; try again later');
      }
      // Not a refusal: the limiter itself failed. Someone must look, so this is an error, not a warning.
      this.logger.error({ err: result, limiter: limiter.keyPrefix }, 'rate limiter failed');
      throw HttpProblem.unavailable('rate limiting is unavailable; try again shortly', 5);
    }
  }

  async loginAttempt(email: string, ip: string): Promise<void> {
    const results = await Promise.allSettled([
      this.consume(this.loginIp, ip),
      this.consume(this.loginEmailIp, `${bounded(email)}|${ip}`),
    ]);
    const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (refused !== undefined) throw refused.reason;
  }

  async loginSucceeded(email: string, ip: string): Promise<void> {
    await this.loginEmailIp.delete(`${bounded(email)}|${ip}`).catch((error: unknown) => {
      this.logger.error({ err: error, limiter: 'login-email-ip' }, 'rate limiter failed to clear a counter');
    });
  }

  async registerAttempt(ip: string): Promise<void> {
    await this.consume(this.registerIp, ip);
  }

  /** A password-reset request: per IP, then per address (a bounded key, so any input fits). */
  async resetRequest(email: string, ip: string): Promise<void> {
    await this.consume(this.resetIp, ip);
    await this.consume(this.resetEmail, bounded(email.trim().toLowerCase()));
  }

  /** A passwordless login's options request (unauthenticated; each one stores a challenge row). */
  async passkeyOptions(ip: string): Promise<void> {
    await this.consume(this.passkeyOptionsIp, ip);
  }

  async verificationMail(userId: string): Promise<void> {
    await this.consume(this.verificationMails, userId);
  }
}
