import type { Logger } from '@cf/kit';
import type { UserRow, UserStore } from '../db/store.ts';
import type { UserMetrics } from '../metrics.ts';
import type { Captcha } from '../captcha/captcha.ts';
import type { RateLimits } from '../rate-limits.ts';
import type { RefreshCookie } from '../refresh-cookie.ts';
import type { Sessions } from '../sessions.ts';
import type { AccessTokenSettings } from '../tokens/access-tokens.ts';
import type { SigningKeys } from '../tokens/signing-keys.ts';
import type { TwoFactor } from '../two-factor/factors.ts';
import type { LoginCaptcha } from '../two-factor/login-captcha.ts';
import type { LoginSteps } from '../two-factor/login-steps.ts';

/** What every route area needs; built once by `createUserService`. */
export interface RouteDeps {
  logger: Logger;
  store: UserStore;
  keys: SigningKeys;
  sessions: Sessions;
  limits: RateLimits;
  access: AccessTokenSettings;
  cookie: RefreshCookie;
  metrics: UserMetrics;
  /** Runs after an account is created, before the answer (queues its verification mail). */
  onRegistered?: (user: UserRow) => Promise<void>;
  /** Throws the captcha problem (400) unless `answer` is a fresh solved challenge; absent when none is asked for. */
  checkCaptcha?: (answer: string | undefined) => Promise<void>;
  /** Second factors and the login's "second factor required" step (issue 18); absent: logins need none. */
  twoFactor?: { factors: TwoFactor; steps: LoginSteps };
  /** After repeated failures a login needs a solved captcha (issue 18 item 4). */
  loginCaptcha?: { failures: LoginCaptcha; captcha: Captcha };
}

/** The account as clients see it: never the password hash. */
export function publicUser(user: UserRow): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    role: user.role,
    emailVerified: user.email_verified_at !== null,
    createdAt: user.created_at,
  };
}
