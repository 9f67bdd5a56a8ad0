import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger } from '@cf/kit';
import { loadIntegrationServiceConfig } from '../../services/integration-service/src/config.ts';
import { startIntegrationService } from '../../services/integration-service/src/service.ts';
import { GramJsPort } from '../../services/integration-service/src/telegram/gramjs.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startVault, type VaultServer } from '../support/vault.ts';
import { startTogether } from '@cf/embedded/process';
import { backingServicesEnv } from '@cf/embedded/service-env';

let postgres: PostgresServer;
let vault: VaultServer;
const logger = createLogger({
  name: 'integration-service',
  stream: new Writable({ write: (_chunk, _encoding, done) => done() }),
});

test.before(async () => {
  [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
});

test.after.always(async () => {
  await Promise.all([postgres?.stop(), vault?.stop()]);
});

function env(database: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    TELEGRAM_MODE: 'gramjs',
    ...backingServicesEnv(postgres, vault),
    DATABASE_NAME: database,
    VAULT_TRANSIT_ENSURE: 'true',
    JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
    ...overrides,
  };
}

test.serial(
  'without api_id and api_hash in Vault KV the gramjs mode refuses to start and names the KV path',
  async (t) => {
    await postgres.query('CREATE DATABASE startup_missing');
    const error = await t.throwsAsync(
      startIntegrationService(loadIntegrationServiceConfig(env('startup_missing')), logger),
    );
    t.regex(error.message, /secret\/integration-service\/telegram must hold api_id and api_hash/);
  },
);

test.serial('in gramjs mode api_id and api_hash come from Vault KV', async (t) => {
  await postgres.query('CREATE DATABASE startup_kv');
  const response = await fetch(`${vault.address}/v1/secret/data/integration-service/telegram`, {
    method: 'POST',
    headers: { 'x-vault-token': vault.rootToken ?? '' },
    body: JSON.stringify({ data: { api_id: '271828', api_hash: 'hash-from-vault' } }),
  });
  t.true(response.ok);
  const service = await startIntegrationService(loadIntegrationServiceConfig(env('startup_kv')), logger);
  t.teardown(() => service.close());
  t.true(service.port instanceof GramJsPort);
  t.is((service.port as GramJsPort).apiId, 271828);
});

test.serial('without Vault only demo mode starts, because sessions must be encrypted by Vault transit', async (t) => {
  await postgres.query('CREATE DATABASE startup_novault');
  const error = await t.throwsAsync(
    startIntegrationService(loadIntegrationServiceConfig(env('startup_novault', { VAULT_ADDR: '' })), logger),
  );
  t.regex(error.message, /VAULT_ADDR/);
});
