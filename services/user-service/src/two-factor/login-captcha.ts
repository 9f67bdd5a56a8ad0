import type { Sequelize } from 'sequelize';
import type { Logger } from '@cf/kit';
import { boundedKey as bounded, PostgresCounter } from '../limiter-store.ts';

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
  private readonly emailIp: PostgresCounter;
  private readonly ip: PostgresCounter;
  private readonly settings: LoginCaptchaSettings;
  private readonly logger: Logger;

  constructor(sequelize: Sequelize, settings: LoginCaptchaSettings, logger: Logger) {
    // Counted, never refused here: the count decides whether a captcha is asked for.
    this.emailIp = new PostgresCounter(sequelize, 'login-failures', settings.windowSeconds);
    this.ip = new PostgresCounter(sequelize, 'login-failures-ip', settings.windowSeconds);
    this.settings = settings;
    this.logger = logger;
  }

  async required(email: string, ip: string): Promise<boolean> {
    try {
      const [pair, address] = await Promise.all([this.emailIp.count(`${bounded(email)}|${ip}`), this.ip.count(ip)]);
      return pair >= this.settings.afterFailures || address >= this.settings.afterFailuresPerIp;
    } catch (error) {
      this.logger.error({ err: error, limiter: 'login-failures' }, 'login failure count unavailable');
      return false;
    }
  }

  async failed(email: string, ip: string): Promise<void> {
    await Promise.all([this.emailIp.add(`${bounded(email)}|${ip}`), this.ip.add(ip)]).catch((error: unknown) =>
      this.logger.error({ err: error, limiter: 'login-failures' }, 'login failure not counted'),
    );
  }

  async succeeded(email: string, ip: string): Promise<void> {
    await this.emailIp.reset(`${bounded(email)}|${ip}`).catch((error: unknown) => {
      this.logger.error({ err: error, limiter: 'login-failures' }, 'login failure count not cleared');
    });
  }
}
