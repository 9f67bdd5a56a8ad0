import {
  connectVaultFromEnv,
  databaseFromEnv,
  JwksKeys,
  listen,
  requireJwt,
  type Logger,
  type RunningServer,
  type VaultClient,
} from '@cf/kit';
import { createIntegrationApp } from './app.ts';
import { LocalCipher, TransitCipher, type SessionCipher } from './cipher.ts';
import type { IntegrationServiceConfig } from './config.ts';
import { migrations } from './db/migrations.ts';
import { Accounts } from './accounts/accounts.ts';
import { GrammyBotApi } from './bots/bot-api.ts';
import { Bots } from './bots/bots.ts';
import { startFakeBotApi } from './bots/fake-bot-api.ts';
import { Store } from './db/store.ts';
import { demoTelegram } from './demo.ts';
import { both, requireLiveSession } from './http/session-check.ts';
import { Limits } from './limits.ts';
import { Logins } from './logins/logins.ts';
import { createTelegramMetrics } from './metrics.ts';
import { LeaseHolder } from './ownership/holder.ts';
import { wirePublishing } from './publishing/wiring.ts';
import { GramJsPort } from './telegram/gramjs.ts';
import { DeadlinePort } from './telegram/deadline.ts';
import type { TelegramPort } from './telegram/port.ts';
import { within } from './within.ts';

export interface RunningIntegrationService {
  server: RunningServer;
  /** The lease holder: what this instance owns (`holds`, `connectedAccounts`, `reconcile`). */
  ownership: LeaseHolder;
  store: Store;
  /** The Telegram adapter as configured (every call to it goes through a deadline). */
  port: TelegramPort;
  /** Channels and posts (what the routes call), for benchmarks and the demo. */
  publishing: Pick<ReturnType<typeof wirePublishing>, 'channels' | 'posts'>;
  /** SIGTERM path: stop serving, destroy clients, release leases, close pool and Vault. */
  close(): Promise<void>;
  cleanup: (() => Promise<void>)[];
  /** Dies like a killed process: no lease released, connections dropped. For tests. */
  crash(): Promise<void>;
}

export interface StartOptions {
  /** Overrides the port TELEGRAM_MODE picks (tests hand in one shared fake). */
  telegram?: TelegramPort;
  /** Overrides BOT_API_ROOT (tests point grammY at their fake Bot API). */
  botApiRoot?: string;
}

async function telegramPort(config: IntegrationServiceConfig, vault: VaultClient | undefined): Promise<TelegramPort> {
  if (config.TELEGRAM_MODE === 'demo') return demoTelegram(config.DEMO_STATE_FILE);
  if (vault === undefined) throw new Error('invalid configuration: VAULT_ADDR: required when TELEGRAM_MODE=gramjs');
  const secret = await vault.kvRead<{ api_id?: unknown; api_hash?: unknown }>(
    config.VAULT_KV_MOUNT,
    config.TELEGRAM_KV_PATH,
  );
  const apiId = Number(secret?.data.api_id);
  const apiHash = secret?.data.api_hash;
  if (!Number.isInteger(apiId) || typeof apiHash !== 'string' || apiHash === '') {
    throw new Error(
      `invalid configuration: Vault KV ${config.VAULT_KV_MOUNT}/${config.TELEGRAM_KV_PATH} must hold api_id and api_hash (or set TELEGRAM_MODE=demo)`,
    );
  }
  return new GramJsPort({ apiId, apiHash });
}

/** How long in-flight requests may finish on shutdown: the first part of SHUTDOWN_TIMEOUT_SECONDS. */
export const graceMs = (config: IntegrationServiceConfig): number => config.SHUTDOWN_TIMEOUT_SECONDS * 1000 * 0.35;

/** Wires integration-service from its configuration and starts serving. */
export async function startIntegrationService(
  config: IntegrationServiceConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningIntegrationService> {
  const vault = await connectVaultFromEnv(config, logger);
  try {
    return await wire(config, logger, options, vault);
  } catch (error) {
    vault?.close();
    throw error;
  }
}

async function wire(
  config: IntegrationServiceConfig,
  logger: Logger,
  options: StartOptions,
  vault: VaultClient | undefined,
): Promise<RunningIntegrationService> {
  let cipher: SessionCipher;
  if (vault !== undefined) {
    const transit = new TransitCipher(vault, config.VAULT_TRANSIT_KEY, config.VAULT_TRANSIT_MOUNT);
    if (config.VAULT_TRANSIT_ENSURE) await transit.ensureKey();
    cipher = transit;
  } else {
    if (process.env['NODE_ENV'] === 'production' || config.TELEGRAM_MODE !== 'demo') {
      throw new Error(
        'invalid configuration: VAULT_ADDR: required outside local demo mode (sessions are encrypted with Vault transit)',
      );
    }
    cipher = new LocalCipher(config.LOCAL_SESSION_KEY_FILE);
  }
  const port = options.telegram ?? (await telegramPort(config, vault));
  let onTimeout: (operation: string) => void = () => undefined;
  const bounded = new DeadlinePort(port, {
    callTimeoutMs: config.TELEGRAM_CALL_TIMEOUT_SECONDS * 1000,
    connectTimeoutMs: config.TELEGRAM_CONNECT_TIMEOUT_SECONDS * 1000,
    onTimeout: (operation) => onTimeout(operation),
  });
  const database = databaseFromEnv(config, vault, logger);
  await database.migrate(migrations);
  const store = new Store(database.sequelize);
  const log = logger.child({ pod: config.POD_NAME });
  let holder: LeaseHolder | undefined = undefined;
  const metrics = createTelegramMetrics(config.POD_NAME, () => holder?.connectedAccounts() ?? 0);
  holder = new LeaseHolder({
    store,
    metrics,
    logger: log,
    options: {
      pod: config.POD_NAME,
      leaseTtlSeconds: config.LEASE_TTL_SECONDS,
      reconcileIntervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
      adoptBatch: config.ADOPT_BATCH,
    },
  });
  const running = holder;
  onTimeout = (operation) => {
    metrics.callTimeouts.inc({ operation });
    log.warn({ operation }, 'a Telegram call ran past its deadline');
  };
  const common = { holder: running, store, cipher, port: bounded, metrics, logger: log };
  const limits = new Limits(
    database.sequelize,
    {
      pendingLoginsPerUser: config.LIMIT_PENDING_LOGINS_PER_USER,
      loginsPerUserPerHour: config.LIMIT_LOGINS_PER_USER_PER_HOUR,
      codesPerPhonePerDay: config.LIMIT_CODES_PER_PHONE_PER_DAY,
      accountsPerUser: config.LIMIT_ACCOUNTS_PER_USER,
      botsPerUser: config.LIMIT_BOTS_PER_USER,
    },
    metrics,
    log,
  );
  const logins = new Logins({
    ...common,
    limits,
    options: { loginTtlSeconds: config.LOGIN_TTL_SECONDS, qrRefreshMarginSeconds: config.QR_REFRESH_MARGIN_SECONDS },
  });
  const accounts = new Accounts({ ...common, healthIntervalSeconds: config.HEALTH_INTERVAL_SECONDS });
  // Demo mode without a Bot API root: a fake Bot API on 127.0.0.1 that takes any well-formed token.
  const demoBotApi =
    config.TELEGRAM_MODE === 'demo' && config.BOT_API_ROOT === undefined && options.botApiRoot === undefined
      ? await startFakeBotApi({ demo: true })
      : undefined;
  const apiRoot = options.botApiRoot ?? config.BOT_API_ROOT ?? demoBotApi?.url;
  const botApi = new GrammyBotApi({
    timeoutSeconds: config.BOT_API_TIMEOUT_SECONDS,
    ...(apiRoot !== undefined ? { apiRoot } : {}),
  });
  const bots = new Bots({ store, cipher, botApi, limits, logger: log });
  const publishing = wirePublishing(config, {
    sequelize: database.sequelize,
    store,
    holder: running,
    cipher,
    botApi,
    logger: log,
  });
  const { app, metrics: appMetrics } = createIntegrationApp({
    logger: log,
    store,
    holder: running,
    logins,
    accounts,
    bots,
    channels: publishing.channels,
    posts: publishing.posts,
    delivery: publishing.delivery,
    unverifiedMayNot: config.UNVERIFIED_MAY_NOT,
    authenticate: both(
      requireJwt({
        keys: new JwksKeys({ url: config.JWKS_URL }),
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
      }),
      requireLiveSession({
        userServiceUrl: config.USER_SERVICE_URL ?? new URL(config.JWKS_URL).origin,
        timeoutMs: config.SESSION_CHECK_TIMEOUT_SECONDS * 1000,
      }),
    ),
    peerAddressTemplate: config.PEER_ADDRESS_TEMPLATE,
    forwardTimeoutMs: config.FORWARD_TIMEOUT_SECONDS * 1000,
    readiness: {
      database: () => database.ping(),
      ...(vault !== undefined ? { vault: () => vault.healthy() } : {}),
    },
  });
  metrics.registerInto(appMetrics.registry);
  publishing.metrics.registerInto(appMetrics.registry);
  const server = await listen(app, { port: config.PORT, host: config.HOST });
  running.start();
  await publishing.start();
  log.info({ mode: config.TELEGRAM_MODE, url: server.url }, 'integration-service listening');
  // Order matters: clients are destroyed before their leases are released (inside shutdown).
  // The whole of it stays within SHUTDOWN_TIMEOUT_SECONDS: serving stops first (graceMs), then this.
  const budgetMs = config.SHUTDOWN_TIMEOUT_SECONDS * 1000;
  const cleanup = [
    () => within(budgetMs * 0.15, publishing.queue.stop(true, budgetMs * 0.15)),
    () => running.shutdown(budgetMs * 0.35),
    () => within(budgetMs * 0.1, database.close()),
    async () => vault?.close(),
    async () => demoBotApi?.close(),
  ];
  let closed: Promise<void> | undefined;
  return {
    server,
    ownership: running,
    store,
    port,
    publishing: { channels: publishing.channels, posts: publishing.posts },
    cleanup,
    close() {
      closed ??= (async () => {
        await server.close(graceMs(config));
        for (const step of cleanup) await step();
      })();
      return closed;
    },
    crash() {
      closed ??= (async () => {
        server.server.closeAllConnections();
        await within(1000, publishing.queue.stop(false, 1));
        await running.abandon();
        await server.close(0);
        await database.close();
        vault?.close();
        await demoBotApi?.close();
      })();
      return closed;
    },
  };
}
