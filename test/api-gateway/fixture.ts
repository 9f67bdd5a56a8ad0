import { captureLogs } from '../support/log-capture.ts';
import { createLogger, listen, type RunningServer } from '@cf/kit';
import { createGateway, type Gateway } from '../../services/api-gateway/src/app.ts';
import { loadGatewayConfig } from '../../services/api-gateway/src/config.ts';
import { rateLimitStoreFromEnv, type RateLimitStore } from '../../services/api-gateway/src/rate-limit-store.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { startProbe, type Probe } from './probe.ts';

export interface GatewayHandle {
  url: string;
  gateway: Gateway;
  server: RunningServer;
  /** The shared rate-limit store when RATE_LIMIT_STORE=postgres, else undefined. */
  store: RateLimitStore | undefined;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * api-gateway in-process with the given environment. Its rate limits count in memory unless the environment says
 * RATE_LIMIT_STORE=postgres (with DATABASE_*), as the charts do: one gateway per test needs no database.
 */
export async function startGateway(env: Record<string, string>): Promise<GatewayHandle> {
  const { stream, lines: logs } = captureLogs();
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_STORE: 'memory', ...env });
  const logger = createLogger({ name: 'api-gateway', stream, level: 'debug' });
  const store = await rateLimitStoreFromEnv(config, logger, 500);
  const gateway = createGateway(config, logger, store);
  const server = await listen(gateway.app, { port: config.PORT });
  // Authenticated routes answer 503 until the session-revocation list is loaded.
  await gateway.revocations.ready(15_000);
  return {
    url: server.url,
    gateway,
    server,
    store,
    logs,
    async stop() {
      await server.close();
      await gateway.close();
    },
  };
}

/**
 * One gateway for every test of a file, with `env` computed when it starts (it names upstreams other file fixtures
 * started before it); stopped after the file's last test, before those upstreams.
 */
export function gatewayForFile(env: () => Record<string, string>): GatewayHandle {
  return fileFixture(
    () => startGateway(env()),
    (gateway) => gateway.stop(),
  );
}

/** A recording probe (see probe.ts) standing in for an upstream in every test of a file. */
export function probeForFile(): Probe {
  return fileFixture(startProbe, (probe) => probe.close());
}
