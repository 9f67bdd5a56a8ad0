// What the integration-service benchmarks stand on: a real PostgreSQL and a dev-mode Vault, the fake Telegram port,
// instances started with production settings plus the overrides a benchmark names, and the sessions' transit cipher.
import { Writable } from 'node:stream';
import { createLogger, VaultClient } from '@cf/kit';
import { backingServicesEnv } from '@cf/embedded/service-env';
import { freePort, startTogether } from '@cf/embedded/process';
import { startPostgres, type PostgresServer } from '@cf/embedded/postgres';
import { startVault, type VaultServer } from '@cf/embedded/vault';
import { TransitCipher } from '../services/integration-service/src/cipher.ts';
import { loadIntegrationServiceConfig } from '../services/integration-service/src/config.ts';
import {
  startIntegrationService,
  type RunningIntegrationService,
} from '../services/integration-service/src/service.ts';
import { FakeTelegram } from '../services/integration-service/src/telegram/fake.ts';

export interface IntegrationBed {
  postgres: PostgresServer;
  vault: VaultServer;
  fake: FakeTelegram;
  /** The transit cipher the instances store sessions with (to seed accounts as they would). */
  cipher: TransitCipher;
  /** One more instance on its own loopback port; `env` adds to or overrides the production settings. */
  start(env?: Record<string, string>): Promise<RunningIntegrationService>;
  /** Closes every instance started, then PostgreSQL and Vault. */
  stop(): Promise<void>;
}

/** Starts the bed; its instances log warnings only, to stderr when `BENCH_LOGS` is set. */
export async function startIntegrationBed(): Promise<IntegrationBed> {
  const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
  const instances: RunningIntegrationService[] = [];
  const stop = async (): Promise<void> => {
    for (const instance of instances) await instance.close().catch(() => undefined);
    await Promise.all([postgres.stop(), vault.stop()]);
  };
  try {
    await postgres.query('CREATE DATABASE integrations');
    const fake = new FakeTelegram();
    const logger = createLogger({
      name: 'integration-service',
      level: 'warn',
      stream: process.env['BENCH_LOGS'] ? process.stderr : new Writable({ write: (_c, _e, done) => done() }),
    });
    const start = async (env: Record<string, string> = {}): Promise<RunningIntegrationService> => {
      const port = await freePort();
      const config = loadIntegrationServiceConfig({
        PORT: String(port),
        HOST: '127.0.0.1',
        POD_NAME: `127.0.0.1:${port}`,
        PEER_ADDRESS_TEMPLATE: 'http://{pod}',
        ...backingServicesEnv(postgres, vault),
        VAULT_TRANSIT_ENSURE: 'true',
        // Not about issue 18's unverified policy (verified-only.test.ts is): bench users register and connect at once.
        UNVERIFIED_MAY_NOT: 'none',
        // Nothing is called with a user token: the JWKS is never fetched.
        JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
        LOG_LEVEL: 'warn',
        ...env,
      });
      const service = await startIntegrationService(config, logger, { telegram: fake });
      instances.push(service);
      return service;
    };
    const client = await VaultClient.connect({
      endpoint: vault.address,
      auth: { method: 'token', token: vault.rootToken ?? '' },
    });
    return { postgres, vault, fake, cipher: new TransitCipher(client, 'telegram-sessions'), start, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
