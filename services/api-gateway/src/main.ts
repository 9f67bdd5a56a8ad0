import { createLogger, listen, shutdownOnSignals } from '@cf/kit';
import { loadGatewayConfig } from './config.ts';
import { createGateway } from './app.ts';
import { rateLimitStoreFromEnv } from './rate-limit-store.ts';

const config = loadGatewayConfig();
const logger = createLogger({ name: 'api-gateway', level: config.LOG_LEVEL });
const gateway = createGateway(config, logger, await rateLimitStoreFromEnv(config, logger));
const server = await listen(gateway.app, { port: config.PORT, host: config.HOST });
logger.info({ url: server.url, web: config.WEB_ROOT ?? null }, 'api-gateway listening');
shutdownOnSignals({ logger, server, cleanup: [() => gateway.close()] });
