import { captureLogs } from '../support/log-capture.ts';
import { createLogger } from '@cf/kit';
import { loadUserServiceConfig } from '../../services/user-service/src/config.ts';
import { startUserService, type RunningUserService } from '../../services/user-service/src/service.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startVault, type VaultServer } from '../support/vault.ts';

export interface UserServiceFixture {
  url: string;
  postgres: PostgresServer;
  vault: VaultServer;
  service: RunningUserService;
  /** Every log line the service wrote, for audit and leak checks. */
  logs: string[];
  env: Record<string, string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** user-service in-process against a real PostgreSQL and a real Vault (signing keys in KV). */
export async function startUserServiceFixture(overrides: Record<string, string> = {}): Promise<UserServiceFixture> {
  const [postgres, vault] = await Promise.all([startPostgres(), startVault({ mode: 'dev' })]);
  await postgres.query('CREATE DATABASE users');
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    // The tests' client on loopback plays api-gateway, naming client addresses in X-Forwarded-For.
    TRUSTED_PROXIES: '127.0.0.1',
    DATABASE_HOST: '127.0.0.1',
    DATABASE_PORT: String(postgres.port),
    DATABASE_NAME: 'users',
    DATABASE_USER: postgres.user,
    DATABASE_PASSWORD: postgres.password,
    VAULT_ADDR: vault.address,
    VAULT_AUTH: 'token',
    VAULT_TOKEN: vault.rootToken ?? '',
    REFRESH_GRACE_SECONDS: '2',
    LOG_LEVEL: 'debug',
    ...overrides,
  };
  const { stream, lines: logs } = captureLogs();
  const logger = createLogger({ name: 'user-service', level: 'debug', stream });
  const start = (): Promise<RunningUserService> => startUserService(loadUserServiceConfig(env), logger);
  let service = await start();
  const fixture: UserServiceFixture = {
    get url() {
      return service.server.url;
    },
    postgres,
    vault,
    get service() {
      return service;
    },
    logs,
    env,
    async restart() {
      await service.close();
      service = await start();
    },
    async stop() {
      await service.close();
      await Promise.all([postgres.stop(), vault.stop()]);
    },
  };
  return fixture;
}

// The HTTP client moved to tools/embedded (the benchmarks use it too); the suites keep importing it from here.
export { call, type CallOptions, type CallResult } from '@cf/embedded/http-client';
