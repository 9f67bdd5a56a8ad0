import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Sequelize } from 'sequelize';
import { HttpProblem, PostgresLimiter, type Logger } from '@cf/kit';
import type { TelegramMetrics } from './metrics.ts';

/** The caps on work a user can start; all state is in PostgreSQL, so each holds across replicas. */
export interface LimitSettings {
  /** Logins waiting for a code, a QR scan or a password, per user. */
  pendingLoginsPerUser: number;
  /** Logins (phone or QR) started per user in a rolling hour. */
  loginsPerUserPerHour: number;
  /** Codes asked for one phone number (start and each resend) per day, whoever asks. */
  codesPerPhonePerDay: number;
  /** Connected Telegram accounts per user. */
  accountsPerUser: number;
  /** Bots per user. */
  botsPerUser: number;
}

export type LimitName =
  | 'pending_logins_per_user'
  | 'logins_per_user_per_hour'
  | 'codes_per_phone_per_day'
  | 'accounts_per_user'
  | 'bots_per_user';

const PROBLEM_BASE = 'https://content-factory.local/problems/limits/';

/** Gives back what a consumed slot took, when the work it counted did not happen. */
export type Undo = () => Promise<void>;

/**
 * Enforces the caps. The two windows (per user per hour, per phone per day) are rate-limiter-flexible
 * counters in the `rate_limits` table, through the kit's `PostgresLimiter`: each call has its 8 s deadline
 * (`LIMIT_CHECK_DEADLINE_MS`) and waits out a pool connection that was not ready in time (the kit's pool: 10
 * connections, 5 s to open one), so the 503 means PostgreSQL failed or the deadline passed, not that our own
 * requests were queued. The pending-login and account caps are enforced by the statements that create logins
 * and accounts (see `db/logins.ts`, `db/accounts.ts`) and answered here.
 */
export class Limits {
  readonly settings: LimitSettings;
  /** The rolling windows: logins per user per hour, codes per phone per day. */
  private readonly windows: { hourly: PostgresLimiter; daily: PostgresLimiter };
  private readonly metrics: TelegramMetrics;
  private readonly logger: Logger;

  constructor(sequelize: Sequelize, settings: LimitSettings, metrics: TelegramMetrics, logger: Logger) {
    this.settings = settings;
    this.metrics = metrics;
    this.logger = logger;
    const common = { storeClient: sequelize, storeType: 'sequelize', tableName: 'rate_limits', tableCreated: true };
    const hourly = new PostgresLimiter({
      ...common,
      keyPrefix: 'telegram-logins-user',
      points: settings.loginsPerUserPerHour,
      duration: 3600,
    });
    const daily = new PostgresLimiter({
      ...common,
      keyPrefix: 'telegram-codes-phone',
      points: settings.codesPerPhonePerDay,
      duration: 86_400,
    });
    this.windows = { hourly, daily };
  }

  /** Counts a login started by `userId`; a 429 past the hourly cap. */
  loginStarted(userId: string): Promise<Undo> {
    return this.consume(this.windows.hourly, userId, 'logins_per_user_per_hour');
  }

  /** Counts a code asked for `phone`; a 429 past the daily cap. */
  codeRequested(phone: string): Promise<Undo> {
    return this.consume(this.windows.daily, phone, 'codes_per_phone_per_day');
  }

  /** The answer when a cap is reached: 409 for the account and bot caps (waiting does not help), else 429 + Retry-After. */
  refuse(limit: LimitName, retryAfterSeconds?: number): HttpProblem {
    this.metrics.limitRejections.inc({ limit });
    const cap = this.capOf(limit);
    const type = PROBLEM_BASE + limit.replaceAll('_', '-');
    if (limit === 'accounts_per_user' || limit === 'bots_per_user') {
      return new HttpProblem(409, {
        type,
        detail: `at most ${cap} ${limit === 'bots_per_user' ? 'bots' : 'connected Telegram accounts'}; remove one first`,
        extensions: { limit, cap },
      });
    }
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds ?? 60));
    return new HttpProblem(429, {
      type,
      detail: `limit reached: ${limit.replaceAll('_', ' ')} is ${cap}`,
      headers: { 'Retry-After': String(seconds) },
      extensions: { limit, cap, retryAfter: seconds },
    });
  }

  private capOf(limit: LimitName): number {
    const caps: Record<LimitName, number> = {
      pending_logins_per_user: this.settings.pendingLoginsPerUser,
      logins_per_user_per_hour: this.settings.loginsPerUserPerHour,
      codes_per_phone_per_day: this.settings.codesPerPhonePerDay,
      accounts_per_user: this.settings.accountsPerUser,
      bots_per_user: this.settings.botsPerUser,
    };
    return caps[limit];
  }

  private async consume(limiter: PostgresLimiter, key: string, limit: LimitName): Promise<Undo> {
    try {
      await limiter.consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) throw this.refuse(limit, result.msBeforeNext / 1000);
      // Not a refusal: the limiter itself failed. Someone must look, so this is an error, as in user-service.
      this.logger.error({ err: result, limiter: limiter.keyPrefix }, 'rate limiter failed');
      throw HttpProblem.unavailable('limits cannot be checked right now; try again shortly', 5);
    }
    return async () => {
      // The work did not happen, so the slot goes back; if it cannot, the user has one fewer until the window ends.
      await limiter.reward(key).catch((error: unknown) => {
        this.logger.warn({ err: error, limiter: limiter.keyPrefix }, 'rate limiter failed to give a count back');
      });
    };
  }
}
