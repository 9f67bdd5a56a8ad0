import { captureLogs } from '../support/log-capture.ts';
import { createLogger, listen, type RunningServer } from '@cf/kit';
import { createGateway, type Gateway } from '../../services/api-gateway/src/app.ts';
import { loadGatewayConfig } from '../../services/api-gateway/src/config.ts';

export interface GatewayHandle {
  url: string;
  gateway: Gateway;
  server: RunningServer;
  logs: string[];
  stop(): Promise<void>;
}

/** api-gateway in-process with the given environment. */
export async function startGateway(env: Record<string, string>): Promise<GatewayHandle> {
  const { stream, lines: logs } = captureLogs();
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  const gateway = createGateway(config, createLogger({ name: 'api-gateway', stream, level: 'debug' }));
  const server = await listen(gateway.app, { port: config.PORT });
  // Authenticated routes answer 503 until the session-revocation list is loaded.
  await gateway.revocations.ready(15_000);
  return {
    url: server.url,
    gateway,
    server,
    logs,
    async stop() {
      await server.close();
      await gateway.close();
    },
  };
}
