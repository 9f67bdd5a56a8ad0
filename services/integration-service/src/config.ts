import { hostname } from 'node:os';
import { accessTokenEnv, env, loadConfig, serverEnv } from '@cf/kit/config';
import { databaseEnv, vaultLoginEnv } from '@cf/kit/connection-env';
import { z } from 'zod';
import { UNVERIFIED_ACTIONS } from './http/verified-only.ts';

/** Environment of integration-service. Every variable is named in the error when it is missing or wrong. */
export const integrationServiceEnv = {
  ...serverEnv(),

  /** `gramjs`: real Telegram (api_id/api_hash from Vault KV). `demo`: the scripted fake, no network. */
  TELEGRAM_MODE: z.enum(['gramjs', 'demo']).default('gramjs'),
  /** Demo mode only: file keeping the fake Telegram's accounts and signed-in keys across restarts (npm start). */
  DEMO_STATE_FILE: z.string().optional(),
  /** This pod's name (the StatefulSet sets it from metadata.name); the lease owner and the peer address. */
  POD_NAME: z.string().default(hostname()),
  /** How peers reach a pod by name; `{pod}` is replaced. */
  PEER_ADDRESS_TEMPLATE: z.string().default('http://{pod}.integration-service-headless.cf-apps.svc:8080'),

  ...databaseEnv({ name: 'integrations', vaultRole: 'integration-service' }),

  // VAULT_ADDR unset only in demo mode without Vault (sessions then use a local key file).
  ...vaultLoginEnv('integration-service'),
  VAULT_KV_MOUNT: z.string().default('secret'),
  /** KV v2 path holding `api_id` and `api_hash`. */
  TELEGRAM_KV_PATH: z.string().default('integration-service/telegram'),
  VAULT_TRANSIT_MOUNT: z.string().default('transit'),
  VAULT_TRANSIT_KEY: z.string().default('telegram-sessions'),
  /** Create the transit mount and key when missing (local runs; in a cluster vault-unsealer does it). */
  VAULT_TRANSIT_ENSURE: env.flag(false),
  LOCAL_SESSION_KEY_FILE: z.string().default('.local/integration-service-session.key'),

  JWKS_URL: z.url().default('http://user-service.cf-apps.svc:8080/.well-known/jwks.json'),
  ...accessTokenEnv(),
  /** user-service, asked on every request whether the token's session still stands. Default: JWKS_URL's origin. */
  USER_SERVICE_URL: z.url().optional(),
  /** Deadline of that check; past it the request is a 503. */
  SESSION_CHECK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).default(2),

  LEASE_TTL_SECONDS: z.coerce.number().min(1).default(15),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().min(0.1).default(5),
  LOGIN_TTL_SECONDS: z.coerce.number().int().min(1).default(900),
  QR_REFRESH_MARGIN_SECONDS: z.coerce.number().min(0).default(5),
  ADOPT_BATCH: z.coerce.number().int().min(1).default(500),
  /** How often each held account's session is checked with Telegram (getSelf). */
  HEALTH_INTERVAL_SECONDS: z.coerce.number().min(0.1).default(300),

  /** Deadline of every Telegram call (GramJS can wait forever on a dead DC): past it, 504 + Retry-After. */
  TELEGRAM_CALL_TIMEOUT_SECONDS: z.coerce.number().min(0.1).default(10),
  /** Deadline of opening a Telegram connection (DC handshake). */
  TELEGRAM_CONNECT_TIMEOUT_SECONDS: z.coerce.number().min(0.1).default(10),
  /** Deadline of a request forwarded to the owning pod; above the Telegram call deadline so its 504 gets through. */
  FORWARD_TIMEOUT_SECONDS: z.coerce.number().min(0.1).default(20),
  /** Caps on what one user can start (README, integration-service, "Limits"); held in PostgreSQL. */
  LIMIT_PENDING_LOGINS_PER_USER: z.coerce.number().int().min(1).default(3),
  LIMIT_LOGINS_PER_USER_PER_HOUR: z.coerce.number().int().min(1).default(20),
  LIMIT_CODES_PER_PHONE_PER_DAY: z.coerce.number().int().min(1).default(10),
  LIMIT_ACCOUNTS_PER_USER: z.coerce.number().int().min(1).default(10),
  LIMIT_BOTS_PER_USER: z.coerce.number().int().min(1).default(20),

  /** Bot API server for grammY. Default: api.telegram.org; in demo mode, a fake Bot API on 127.0.0.1. */
  BOT_API_ROOT: z.url().optional(),
  /** Deadline of each Bot API call. */
  BOT_API_TIMEOUT_SECONDS: z.coerce.number().min(0.1).default(10),

  /**
   * Publishing caps (README, integration-service, "Limits"): managed channels per user, posts not yet sent
   * per user, targets per post, uploaded images not yet attached to a post per user.
   */
  LIMIT_CHANNELS_PER_USER: z.coerce.number().int().min(1).default(100),
  LIMIT_OPEN_POSTS_PER_USER: z.coerce.number().int().min(1).default(500),
  LIMIT_TARGETS_PER_POST: z.coerce.number().int().min(1).default(20),
  LIMIT_PENDING_IMAGES_PER_USER: z.coerce.number().int().min(1).default(20),
  /**
   * Least time between two sends to one chat, across replicas: 3 s keeps under Telegram's ~20 messages per
   * minute to one group or channel (core.telegram.org/bots/faq, "broadcasting to users").
   */
  PUBLISH_CHAT_SPACING_SECONDS: z.coerce.number().min(0).default(3),
  /**
   * How often each queue worker asks pg-boss for due sends when nothing woke it. A replica wakes its workers
   * itself when the jobs it queued fall due (publishing/wake.ts), so this bounds the lateness only of jobs
   * another replica queued, or queued more than 10 minutes ahead, or before a restart.
   */
  PUBLISH_POLL_SECONDS: z.coerce.number().min(0.5).default(0.5),
  /**
   * Send jobs one queue worker claims in one statement, and workers per replica: up to their product of sends
   * run at once on a replica (each needs a pool connection for a moment; the pool has 10).
   */
  PUBLISH_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  PUBLISH_WORKERS: z.coerce.number().int().min(1).max(16).default(2),
  /**
   * A send job still active after this long is taken to be lost with its pod and runs again elsewhere (the
   * persisted random_id makes that safe for accounts; a bot's attempt then shows "unknown"). Above the
   * Telegram and forward deadlines.
   */
  PUBLISH_JOB_EXPIRE_SECONDS: z.coerce.number().int().min(1).default(60),
  /** Transient failures (timeouts) of one target retried this many times before it is failed. */
  PUBLISH_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),

  /**
   * What an account with an unverified address may not do (issue 18), comma-separated from `connect-accounts`,
   * `connect-bots`, `manage-channels`, `publish`; `none` allows everything. Refused with 403
   * `…/problems/account/unverified`.
   */
  UNVERIFIED_MAY_NOT: z
    .string()
    .default('connect-accounts,publish')
    .transform((value) =>
      value === 'none'
        ? []
        : value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== ''),
    )
    .pipe(z.array(z.enum(UNVERIFIED_ACTIONS))),

  /** SIGTERM to exit: stop serving, destroy clients, release leases, close pools — all within this. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(1).default(10),
};

export type IntegrationServiceConfig = ReturnType<typeof loadIntegrationServiceConfig>;

export function loadIntegrationServiceConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(integrationServiceEnv, source);
}
