import {
  connectVaultFromEnv,
  databaseFromEnv,
  sqlStatements,
  type Database,
  type Logger,
  type Migration,
  type VaultClient,
} from '@cf/kit';
import type { GatewayConfig } from './config.ts';

/** The one table every replica counts into (both limits; keys are `ip:<address>` and `user:<subject>`). */
export const RATE_LIMITS_TABLE = 'rate_limits';

/**
 * The gateway's only schema: the table rate-limiter-flexible's RateLimiterPostgres reads and writes, as that
 * library creates it itself (lib/RateLimiterPostgres.js `_getCreateTableStmt`, v11.4). Created here instead, so it
 * belongs to the owner role and replicas never race to create it. `expire` is epoch milliseconds.
 */
export const rateLimitMigrations: readonly Migration[] = [
  {
    name: '0001-create-rate-limits',
    up: sqlStatements([
      `CREATE TABLE IF NOT EXISTS ${RATE_LIMITS_TABLE} (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`,
      `CREATE INDEX IF NOT EXISTS ${RATE_LIMITS_TABLE}_expire ON ${RATE_LIMITS_TABLE} (expire)`,
    ]),
  },
];

export interface RateLimitStore {
  database: Database;
  /** Resolves once the table exists; until then counts fail over to memory (see rate-limit.ts). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * The gateway's database as its environment describes it (Vault database-engine logins in the cluster, a static
 * login locally), or undefined when RATE_LIMIT_STORE=memory. The migration runs in the background and is retried
 * every `retryMs` while PostgreSQL is unreachable, so the gateway serves from its first second either way.
 * Throws only on invalid configuration, or when Vault refuses the login at startup.
 */
export async function rateLimitStoreFromEnv(
  config: GatewayConfig,
  logger: Logger,
  retryMs = 5000,
): Promise<RateLimitStore | undefined> {
  if (config.RATE_LIMIT_STORE === 'memory') return undefined;
  const vault: VaultClient | undefined = await connectVaultFromEnv(config, logger);
  const database = databaseFromEnv(config, vault, logger);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve) => {
    const attempt = (): void => {
      database.migrate(rateLimitMigrations).then(
        () => resolve(),
        (error: unknown) => {
          if (closed) return;
          logger.warn({ err: error, retryMs }, 'rate-limit table not ready; counting per replica meanwhile');
          timer = setTimeout(attempt, retryMs);
          timer.unref();
        },
      );
    };
    attempt();
  });
  return {
    database,
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await database.close();
      vault?.close();
    },
  };
}
