import type { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Sequelize } from 'sequelize';
import type { Logger } from '@cf/kit';
import { boundedKey as bounded, COUNT_ONLY, postgresLimiter } from '../limiter-store.ts';

export interface LoginCaptchaSettings {
  /** Failed logins for one (address, IP) in the window after which a login needs a solved captcha. */
  afterFailures: number;
  /** Failed logins from one IP (any address) after which its logins need one: credential stuffing. */
  afterFailuresPerIp: number;
  windowSeconds: number;
}

/**
 * Counts failed logins (PostgreSQL, so across replicas) and says when a login must carry an ALTCHA solution
 * (issue 18 item 4). A success clears the (address, IP) count, as the login limiter does. Counting errors are
 * logged and count as "not required": the login limiter still bounds guessing when this store is down.
 */
export class LoginCaptcha {
  private readonly emailIp: RateLimiterPostgres;
  private readonly ip: RateLimiterPostgres;
  private readonly settings: LoginCaptchaSettings;
  private readonly logger: Logger;

  constructor(sequelize: Sequelize, settings: LoginCaptchaSettings, logger: Logger) {
    this.settings = settings;
    this.logger = logger;
    // Counted, never refused here: the count decides whether a captcha is asked for.
    const counter = (keyPrefix: string): RateLimiterPostgres =>
      postgresLimiter(sequelize, { keyPrefix, points: COUNT_ONLY, duration: settings.windowSeconds });
    this.emailIp = counter('login-failures');
    this.ip = counter('login-failures-ip');
  }

  async required(email: string, ip: string): Promise<boolean> {
    try {
      const [pair, address] = await Promise.all([this.emailIp.get(`${bounded(email)}|${ip}`), this.ip.get(ip)]);
      return (
        (pair?.consumedPoints ?? 0) >= this.settings.afterFailures ||
        (address?.consumedPoints ?? 0) >= this.settings.afterFailuresPerIp
      );
    } catch (error) {
      this.logger.error({ err: error, limiter: 'login-failures' }, 'login failure count unavailable');
      return false;
    }
  }

  async failed(email: string, ip: string): Promise<void> {
    await Promise.all([this.emailIp.penalty(`${bounded(email)}|${ip}`, 1), this.ip.penalty(ip, 1)]).catch(
      (error: unknown) => this.logger.error({ err: error, limiter: 'login-failures' }, 'login failure not counted'),
    );
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await this.emailIp.delete(`${bounded(email)}|${ip}`).catch((error: unknown) => {
      this.logger.error({ err: error, limiter: 'login-failures' }, 'login failure count not cleared');
    });
  }
}
