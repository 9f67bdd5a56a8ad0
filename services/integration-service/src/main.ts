import { createLogger, shutdownOnSignals } from '@cf/kit';
import { loadIntegrationServiceConfig } from './config.ts';
import { graceMs, startIntegrationService } from './service.ts';

const config = loadIntegrationServiceConfig();
const logger = createLogger({ name: 'integration-service', level: config.LOG_LEVEL });
try {
  const service = await startIntegrationService(config, logger);
  shutdownOnSignals({ logger, server: service.server, cleanup: service.cleanup, graceMs: graceMs(config) });
} catch (error) {
  logger.fatal({ err: error }, 'integration-service failed to start');
  process.exit(1);
}
