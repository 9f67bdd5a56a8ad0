import {
  connectVaultFromEnv,
  databaseFromEnv,
  listen,
  type Logger,
  type RunningServer,
  type VaultClient,
} from '@cf/kit';
import { createUserService } from './app.ts';
import type { UserServiceConfig } from './config.ts';
import { migrations } from './db/migrations.ts';
import { Captcha } from './captcha/captcha.ts';
import { Housekeeping } from './housekeeping.ts';
import { startMail } from './mail/setup.ts';
import { preparePasswordHashing } from './passwords.ts';
import { UserStore } from './db/store.ts';
import type { UserMetrics } from './metrics.ts';
import { RateLimits } from './rate-limits.ts';
import { RevocationFeed } from './revocations/feed.ts';
import { Sessions } from './sessions.ts';
import { FileKeyStore, VaultKeyStore, type KeyStore } from './tokens/key-store.ts';
import { SigningKeys } from './tokens/signing-keys.ts';
import { startTwoFactor } from './two-factor/setup.ts';

export interface RunningUserService {
  server: RunningServer;
  keys: SigningKeys;
  store: UserStore;
  /** The periodic deletion of ended rows; `round()` runs one now. */
  housekeeping: Housekeeping;
  /** Stops serving, then closes keys, pool and Vault client. */
  close(): Promise<void>;
  /** The steps `close` runs after the server stopped; for graceful shutdown on signals. */
  cleanup: (() => Promise<void>)[];
  /** Runs before the server stops accepting: ends held long polls. */
  beforeClose: () => Promise<void>;
}

export function keyStoreFor(config: UserServiceConfig, vault: VaultClient | undefined): KeyStore {
  if (vault !== undefined)
    return new VaultKeyStore({ vault, mount: config.VAULT_KV_MOUNT, path: config.SIGNING_KEYS_PATH });
  if (process.env['NODE_ENV'] === 'production') {
    throw new Error(
      'invalid configuration: VAULT_ADDR: required in production (the local key file is for development only)',
    );
  }
  return new FileKeyStore(config.LOCAL_KEY_FILE);
}

/** Wires user-service from its configuration and starts serving. */
export async function startUserService(config: UserServiceConfig, logger: Logger): Promise<RunningUserService> {
  const vault = await connectVaultFromEnv(config, logger);
  const database = databaseFromEnv(config, vault, logger);
  await database.migrate(migrations);
  await preparePasswordHashing();
  const keys = await SigningKeys.load(keyStoreFor(config, vault), logger);
  keys.startReloading(config.KEY_RELOAD_SECONDS);
  // The metrics live in the app's registry, which exists once the app does.
  const holder: { metrics?: UserMetrics } = {};
  const store = new UserStore(database.sequelize, (reason, count) => holder.metrics?.sessionsRevoked(reason, count));
  const revocations = new RevocationFeed(database.sequelize, logger, {
    retentionSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  revocations.start();
  const accountLinks = await startMail(config, {
    sequelize: database.sequelize,
    vault,
    keys,
    store,
    logger,
    handled: (kind, outcome) => holder.metrics?.mailHandled(kind, outcome),
  });
  const twoFactor = await startTwoFactor(config, { sequelize: database.sequelize, vault, logger });
  const access = {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };
  const created = createUserService({
    logger,
    store,
    keys,
    access,
    sessions: new Sessions({
      store,
      keys,
      settings: { access, refreshTtlDays: config.REFRESH_TOKEN_TTL_DAYS, graceSeconds: config.REFRESH_GRACE_SECONDS },
    }),
    revocations,
    limits: new RateLimits(
      database.sequelize,
      {
        loginPerEmailIp: config.LOGIN_LIMIT_PER_EMAIL_IP,
        loginPerIp: config.LOGIN_LIMIT_PER_IP,
        registerPerIp: config.REGISTER_LIMIT_PER_IP,
        windowSeconds: config.RATE_WINDOW_SECONDS,
      },
      logger,
    ),
    cookie: { path: config.COOKIE_PATH, secure: config.COOKIE_SECURE, maxAgeDays: config.REFRESH_TOKEN_TTL_DAYS },
    trustedProxies: config.TRUSTED_PROXIES,
    ...(accountLinks !== undefined ? { accountLinks } : {}),
    captcha: {
      captcha: new Captcha(database.sequelize, keys, {
        cost: config.CAPTCHA_COST,
        counterMax: config.CAPTCHA_COUNTER_MAX,
        ttlSeconds: config.CAPTCHA_TTL_SECONDS,
        freePerWindow: config.CAPTCHA_FREE_PER_WINDOW,
      }),
      required: config.CAPTCHA_REQUIRED,
    },
    twoFactor: twoFactor.deps,
    ...(config.CAPTCHA_REQUIRED && config.LOGIN_CAPTCHA_AFTER_FAILURES > 0
      ? { loginFailures: twoFactor.loginCaptcha }
      : {}),
    readiness: {
      database: () => database.ping(),
      ...(vault !== undefined ? { vault: () => vault.healthy() } : {}),
    },
  });
  holder.metrics = created.domainMetrics;
  const { app } = created;
  const server = await listen(app, { port: config.PORT, host: config.HOST });
  const housekeeping = new Housekeeping(
    database.sequelize,
    { intervalSeconds: config.HOUSEKEEPING_INTERVAL_SECONDS, auditRetentionDays: config.AUDIT_RETENTION_DAYS },
    logger,
    (table, count) => holder.metrics?.housekeepingDeleted(table, count),
  );
  housekeeping.start();
  const cleanup = [
    // A running round ends after its batch in flight (bounded wait) before the pool closes.
    () => housekeeping.stop(),
    // The mail worker finishes the send in flight (bounded) before the pool it uses closes.
    async () => accountLinks?.mail.stop(),
    async () => keys.stop(),
    () => database.close(),
    async () => vault?.close(),
  ];
  // Held polls answer at once, so the server's grace period is not spent waiting on followers.
  const beforeClose = (): Promise<void> => revocations.stop();
  return {
    server,
    keys,
    store,
    housekeeping,
    cleanup,
    beforeClose,
    async close() {
      await beforeClose();
      await server.close();
      for (const step of cleanup) await step();
    },
  };
}
