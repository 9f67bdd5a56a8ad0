import { createLogger, shutdownOnSignals } from '@cf/kit';
import { loadUserServiceConfig } from './config.ts';
import { startUserService } from './service.ts';

const config = loadUserServiceConfig();
const logger = createLogger({ name: 'user-service', level: config.LOG_LEVEL });
try {
  const service = await startUserService(config, logger);
  logger.info({ url: service.server.url }, 'user-service listening');
  shutdownOnSignals({
    logger,
    server: service.server,
    beforeClose: service.beforeClose,
    cleanup: service.cleanup,
  });
} catch (error) {
  logger.fatal({ err: error }, 'user-service failed to start');
  process.exit(1);
}
