export { createIntegrationApp, FORWARDED_HEADER, type IntegrationAppDeps } from './app.ts';
export { LocalCipher, TransitCipher, type SessionCipher } from './cipher.ts';
export { integrationServiceEnv, loadIntegrationServiceConfig, type IntegrationServiceConfig } from './config.ts';
export { DEMO_CODE, DEMO_PASSWORD, demoTelegram } from './demo.ts';
export { problemFor } from './http/problems.ts';
export { normalizePhone } from './http/views.ts';
export { LeaseHolder } from './ownership/holder.ts';
export { startIntegrationService, type RunningIntegrationService, type StartOptions } from './service.ts';
export { FakeTelegram, type FakeAccountScript, type FakeOperation } from './telegram/fake.ts';
export { createGramClient, GramJsPort, toDomainError } from './telegram/gramjs.ts';
export * from './telegram/port.ts';

import { createLogger } from '@cf/kit';
import { loadIntegrationServiceConfig } from './config.ts';
import { startIntegrationService, type RunningIntegrationService } from './service.ts';

/**
 * Starts the service in demo mode (the scripted fake Telegram, no network) from `env` merged over
 * `process.env` — what `npm start` does when no Telegram API credentials are configured.
 */
export async function startDemo(env: Record<string, string | undefined> = {}): Promise<RunningIntegrationService> {
  const config = loadIntegrationServiceConfig({ ...process.env, ...env, TELEGRAM_MODE: 'demo' });
  const logger = createLogger({ name: 'integration-service', level: config.LOG_LEVEL });
  return startIntegrationService(config, logger);
}
