import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, scratchDir, spawnManaged, waitFor } from './process.ts';
import type { ServiceProcess } from './service-process.ts';

/** api-gateway's entry point; a path, not an import: the gateway runs as its own process. */
const GATEWAY_ENTRY = fileURLToPath(new URL('../../../services/api-gateway/src/main.ts', import.meta.url));

/**
 * api-gateway as a real process on 127.0.0.1 (PORT from `env`, else a free port), resolved once `/readyz` says it
 * is ready — its upstream answers and the session-revocation feed is loaded, so authenticated routes work at once.
 * Its rate limits count in its own memory unless `env` names RATE_LIMIT_STORE=postgres and a DATABASE_*: one
 * gateway needs no database. Throws (with the log's tail) when it is not ready within 30 s.
 */
export async function startGatewayProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = env['PORT'] ?? String(await freePort());
  const proc = spawnManaged(process.execPath, [GATEWAY_ENTRY], {
    name: 'api-gateway',
    logFile: join(scratchDir('api-gateway'), 'service.log'),
    env: { HOST: '127.0.0.1', RATE_LIMIT_STORE: 'memory', ...env, PORT: port },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, {
    what: 'api-gateway to be ready',
    process: proc,
    timeoutMs: 30_000,
  });
  return { url, process: proc, stop: () => proc.stop() };
}
