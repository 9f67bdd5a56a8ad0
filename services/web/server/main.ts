// The web container: the built UI as static files, on the kit so it has /healthz, /readyz and /metrics
// like every other service. In Kubernetes the TLS entry routes `/` here and `/api` to the gateway.
import { createApp, createLogger, listen, loadConfig, serveWebApp, shutdownOnSignals } from '@cf/kit';
import { webEnv } from './config.ts';

const config = loadConfig(webEnv);
const logger = createLogger({ name: 'web', level: config.LOG_LEVEL });
const { app } = createApp({ name: 'web', logger });
app.use(serveWebApp(config.WEB_ROOT));
const server = await listen(app, { port: config.PORT, host: config.HOST });
logger.info({ url: server.url }, 'web listening');
shutdownOnSignals({ logger, server });
