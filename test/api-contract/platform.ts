import { createLogger } from '@cf/kit';
import { loadIntegrationServiceConfig } from '../../services/integration-service/src/config.ts';
import {
  startIntegrationService,
  type RunningIntegrationService,
} from '../../services/integration-service/src/service.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort, stopIfFails } from '../support/process.ts';
import { startGateway, type GatewayHandle } from '../api-gateway/fixture.ts';
import { startUserServiceFixture, type UserServiceFixture } from '../user-service/fixture.ts';
import { backingServicesEnv } from '@cf/embedded/service-env';

export interface Platform {
  /** The gateway's origin, `http://localhost:<port>`: the UI and the API on one origin, as in production. */
  url: string;
  users: UserServiceFixture;
  gateway: GatewayHandle;
  /** integration-service in demo mode (the scripted Telegram fake), when asked for. */
  integration: { url: string } | undefined;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** Start integration-service in demo mode. Default: no (the gateway answers /api/telegram with its 5xx). */
  telegramDemo?: boolean;
  /** integration-service settings beyond the wiring (demo mode only). */
  integrationService?: Record<string, string>;
  /** user-service settings. Default: a registration limit no suite reaches from 127.0.0.1. */
  userService?: Record<string, string>;
  /** Put something between the gateway and user-service, e.g. a fault-injecting front; returns its URL. */
  frontUserService?: (url: string) => Promise<string>;
  /** Gateway settings beyond the wiring. */
  gateway?: Record<string, string>;
}

/** The real services on one machine: user-service (PostgreSQL, Vault), integration-service, the gateway. */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  // Every test registers its own users from 127.0.0.1: the per-IP registration limit is the user-service
  // suite's concern, not these.
  const users = await startUserServiceFixture({ REGISTER_LIMIT_PER_IP: '100000', ...options.userService });
  return stopIfFails([users], () => platformOn(users, options));
}

async function platformOn(users: UserServiceFixture, options: PlatformOptions): Promise<Platform> {
  let integration: RunningIntegrationService | undefined;
  if (options.telegramDemo === true) {
    await users.postgres.query('CREATE DATABASE integrations');
    // In this process (as the user-service fixture runs): a second Node process takes long to start on a
    // loaded machine, and the demo mode's scripted Telegram fake is the same either way.
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEGRAM_MODE: 'demo',
      // Not about issue 18's unverified policy (verified-only.test.ts is): its users register and connect at once.
      UNVERIFIED_MAY_NOT: 'none',
      ...backingServicesEnv(users.postgres, users.vault),
      DATABASE_NAME: 'integrations',
      VAULT_TRANSIT_ENSURE: 'true',
      JWKS_URL: `${users.url}/.well-known/jwks.json`,
      USER_SERVICE_URL: users.url,
      POD_NAME: 'platform-test-0',
      LOG_LEVEL: 'warn',
      ...options.integrationService,
    };
    const { stream } = captureLogs();
    const logger = createLogger({ name: 'integration-service', level: 'warn', stream });
    integration = await startIntegrationService(loadIntegrationServiceConfig(env), logger);
  }
  const userServiceUrl = options.frontUserService !== undefined ? await options.frontUserService(users.url) : users.url;
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const gateway = await stopIfFails([{ stop: () => integration?.close() }], async () =>
    startGateway({
      PORT: String(port),
      USER_SERVICE_URL: userServiceUrl,
      INTEGRATION_SERVICE_URL:
        integration?.server.url ??
        options.gateway?.['INTEGRATION_SERVICE_URL'] ??
        `http://127.0.0.1:${await freePort()}`,
      PUBLIC_ORIGIN: url,
      ...options.gateway,
    }),
  );
  return {
    url,
    users,
    gateway,
    integration: integration !== undefined ? { url: integration.server.url } : undefined,
    async stop() {
      await gateway.stop();
      await integration?.close();
      await users.stop();
    },
  };
}
