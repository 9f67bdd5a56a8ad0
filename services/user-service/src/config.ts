import { accessTokenEnv, env, loadConfig, serverEnv } from '@cf/kit/config';
import { databaseEnv, vaultLoginEnv } from '@cf/kit/connection-env';
import { z } from 'zod';

/** Environment of user-service. Every variable is named in the error when it is missing or wrong. */
export const userServiceEnv = {
  ...serverEnv(),
  /**
   * Address ranges of api-gateway's pods (comma-separated CIDRs). Only a peer in them is believed about
   * the client address (X-Forwarded-For, the one hop it added); anyone else is keyed by its own address.
   * Default: none.
   */
  TRUSTED_PROXIES: env.list(),

  ...databaseEnv({ name: 'users', vaultRole: 'user-service' }),

  // VAULT_ADDR unset: the local file key store (development only).
  ...vaultLoginEnv('user-service'),
  VAULT_KV_MOUNT: z.string().default('secret'),
  SIGNING_KEYS_PATH: z.string().default('user-service/signing-keys'),
  /** Local key file when there is no Vault. */
  LOCAL_KEY_FILE: z.string().default('.local/user-service-keys.json'),

  ...accessTokenEnv(),
  /** 10–15 minutes. */
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(900).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(30),
  /** Concurrent refreshes of one token inside this window are not reuse. */
  REFRESH_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  COOKIE_PATH: z.string().default('/api/auth'),
  /** Only for plain-HTTP local runs; browsers drop Secure cookies on http://localhost otherwise in some setups. */
  COOKIE_SECURE: env.flag(true),
  KEY_RELOAD_SECONDS: z.coerce.number().int().min(1).default(60),

  LOGIN_LIMIT_PER_EMAIL_IP: z.coerce.number().int().min(1).default(10),
  LOGIN_LIMIT_PER_IP: z.coerce.number().int().min(1).default(100),
  REGISTER_LIMIT_PER_IP: z.coerce.number().int().min(1).default(20),
  /** Window of every rate limit. */
  RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),

  /** The SMTP server mail goes through; unset means no mail (verification and reset links answer 503). */
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: env.port(587),
  /** `starttls` (587), `tls` (implicit, 465) or `none` (a loopback mail catcher only). */
  SMTP_TLS: z.enum(['none', 'starttls', 'tls']).default('starttls'),
  /** Static SMTP login (local runs). In a cluster it is read from Vault KV at `SMTP_SECRET_PATH` instead. */
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  /** KV v2 path of `{ username, password }` for the SMTP server; read when Vault is configured and SMTP_USER is not. */
  SMTP_SECRET_PATH: z.string().default('user-service/smtp'),
  SMTP_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).default(10),
  /** First wait before a failed mail is tried again; it doubles each time, up to 30 min, for 12 retries. */
  MAIL_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(600).default(15),
  MAIL_FROM: z.string().default('Content Factory <no-reply@content-factory.local>'),
  PRODUCT_NAME: z.string().min(1).max(60).default('Content Factory'),
  /** The web UI's public origin, which links in mails point at. */
  PUBLIC_URL: z.url().default('http://localhost:5173'),
  /** Issue 18: a verification link works 24 h, a reset link 1 h. */
  EMAIL_VERIFY_HOURS: z.coerce.number().int().min(1).max(168).default(24),
  /**
   * Registration and password-reset requests need a solved ALTCHA proof of work (issue 18); the web UI carries the
   * widget. `false` only for programs that register without a browser (test fixtures, benchmarks).
   */
  CAPTCHA_REQUIRED: env.flag(true),
  /** PBKDF2-SHA-256 iterations per attempt. */
  CAPTCHA_COST: z.coerce.number().int().min(1).max(100_000).default(500),
  /** Expected client work is about ¾ of this many attempts; busy addresses pay up to 16× more. */
  CAPTCHA_COUNTER_MAX: z.coerce.number().int().min(10).max(1_000_000).default(4000),
  CAPTCHA_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
  CAPTCHA_FREE_PER_WINDOW: z.coerce.number().int().min(1).default(10),
  PASSWORD_RESET_MINUTES: z.coerce.number().int().min(5).max(1440).default(60),

  // Two-factor authentication (issue 18 item 5).
  /** Vault transit mount and key the TOTP secrets are encrypted with (PostgreSQL holds only ciphertext). */
  VAULT_TRANSIT_MOUNT: z.string().default('transit'),
  TWO_FACTOR_TRANSIT_KEY: z.string().default('two-factor-secrets'),
  /** Create the transit mount and key when missing (local runs and tests; in a cluster vault-unsealer does it). */
  VAULT_TRANSIT_ENSURE: env.flag(false),
  /** Key file encrypting TOTP secrets when there is no Vault (development only; refused in production). */
  LOCAL_TWO_FACTOR_KEY_FILE: z.string().default('.local/user-service-two-factor.key'),
  /** How long the login's "second factor required" step may be completed in. */
  TWO_FACTOR_STEP_SECONDS: z.coerce.number().int().min(30).max(900).default(300),
  /** Wrong second factors (codes, recovery codes, passkeys) per user per `RATE_WINDOW_SECONDS` before 429. */
  TWO_FACTOR_ATTEMPTS_PER_USER: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * Failed logins for one (address, IP) in `RATE_WINDOW_SECONDS` after which a login needs a solved captcha. Only
   * while `CAPTCHA_REQUIRED` is on (the UI carries the widget then); 0 turns it off.
   */
  LOGIN_CAPTCHA_AFTER_FAILURES: z.coerce.number().int().min(0).default(3),
  /** Failed logins from one IP, any address, after which its logins need a solved captcha. */
  LOGIN_CAPTCHA_AFTER_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),

  // Housekeeping (src/housekeeping.ts): deleting ended rows and old audit events.
  /** Seconds between housekeeping rounds (each wait jittered ±10 %). */
  HOUSEKEEPING_INTERVAL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /**
   * Days audit events are kept. 400 covers a full year plus a month, so a yearly access review or an incident
   * reported late still finds the whole year's trail, while the table (a row per login and per token refresh)
   * stops growing forever.
   */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(400),
};

export type UserServiceConfig = ReturnType<typeof loadUserServiceConfig>;

export function loadUserServiceConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(userServiceEnv, source);
}
