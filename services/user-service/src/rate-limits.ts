import { type RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Sequelize } from 'sequelize';
import { HttpProblem, type Logger } from '@cf/kit';
import { boundedKey as bounded, postgresLimiter } from './limiter-store.ts';

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

/** The limits, each one counter of the `rate_limits` table (its key prefix in the constructor). */
type LimitName =
  'loginEmailIp' | 'loginIp' | 'registerIp' | 'resetEmail' | 'resetIp' | 'verificationMails' | 'passkeyOptionsIp';

/**
 * Limits kept in PostgreSQL so they hold across replicas. Logins are limited per (email, IP) and per IP —
 * never per email alone, so an attacker elsewhere cannot lock a victim out; a successful login clears
 * its (email, IP) counter.
 */
export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterPostgres>;
  private readonly logger: Logger;

  constructor(sequelize: Sequelize, settings: RateLimitSettings, logger: Logger) {
    this.logger = logger;
    const window = (keyPrefix: string, points: number): RateLimiterPostgres =>
      postgresLimiter(sequelize, { keyPrefix, points, duration: settings.windowSeconds });
    const hourly = (keyPrefix: string, points: number): RateLimiterPostgres =>
      postgresLimiter(sequelize, { keyPrefix, points, duration: 3600 });
    this.limiters = {
      loginEmailIp: window('login-email-ip', settings.loginPerEmailIp),
      loginIp: window('login-ip', settings.loginPerIp),
      registerIp: window('register-ip', settings.registerPerIp),
      resetEmail: hourly('reset-email', settings.resetPerEmail ?? 3),
      resetIp: hourly('reset-ip', settings.resetPerIp ?? 20),
      verificationMails: hourly('verification-mail', settings.verificationMailsPerUser ?? 5),
      passkeyOptionsIp: window('passkey-options-ip', settings.passkeyOptionsPerIp ?? settings.loginPerIp),
    };
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
      this.consume(this.limiters.loginIp, ip),
      this.consume(this.limiters.loginEmailIp, `${bounded(email)}|${ip}`),
    ]);
    const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (refused !== undefined) throw refused.reason;
  }

  async loginSucceeded(email: string, ip: string): Promise<void> {
    await this.limiters.loginEmailIp.delete(`${bounded(email)}|${ip}`).catch((error: unknown) => {
      this.logger.error({ err: error, limiter: 'login-email-ip' }, 'rate limiter failed to clear a counter');
    });
  }

  async registerAttempt(ip: string): Promise<void> {
    await this.consume(this.limiters.registerIp, ip);
  }

  /** A password-reset request: per IP, then per address (a bounded key, so any input fits). */
  async resetRequest(email: string, ip: string): Promise<void> {
    await this.consume(this.limiters.resetIp, ip);
    await this.consume(this.limiters.resetEmail, bounded(email.trim().toLowerCase()));
  }

  /** A passwordless login's options request (unauthenticated; each one stores a challenge row). */
  async passkeyOptions(ip: string): Promise<void> {
    await this.consume(this.limiters.passkeyOptionsIp, ip);
  }

  async verificationMail(userId: string): Promise<void> {
    await this.consume(this.limiters.verificationMails, userId);
  }
}
