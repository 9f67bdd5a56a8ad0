// The web container: the built UI as static files, on the kit so it has /healthz, /readyz and /metrics
// like every other service. In Kubernetes the TLS entry routes `/` here and `/api` to the gateway.
import { fileURLToPath } from 'node:url';
import { createApp, createLogger, env, listen, loadConfig, serveWebApp, shutdownOnSignals } from '@cf/kit';
import { z } from 'zod';

const config = loadConfig({
  PORT: env.port(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: env.logLevel(),
  WEB_ROOT: z.string().default(fileURLToPath(new URL('../dist', import.meta.url))),
});
const logger = createLogger({ name: 'web', level: config.LOG_LEVEL });
const { app } = createApp({ name: 'web', logger });
app.use(serveWebApp(config.WEB_ROOT));
const server = await listen(app, { port: config.PORT, host: config.HOST });
logger.info({ url: server.url }, 'web listening');
shutdownOnSignals({ logger, server });
