// `npm start`: the platform on this machine, no cluster, with embedded defaults. Today: an embedded
// PostgreSQL (kept in .local/postgres), a Vault dev server when a vault/bao binary is already here,
// and user-service. The other services join as their issues land (api-gateway will serve :8080).
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from '../test/support/binaries.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { spawnManaged, waitFor, type ManagedProcess } from '../test/support/process.ts';
import { startVault, type VaultServer } from '../test/support/vault.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const state = resolve(root, '.local');
const started = Date.now();
const lines: string[] = [];

const postgres = await startPostgres({ dir: join(state, 'postgres') });
const databases = await postgres.query<{ datname: string }>('SELECT datname FROM pg_database');
if (!databases.some((row) => row.datname === 'users')) await postgres.query('CREATE DATABASE users');
lines.push(`PostgreSQL   127.0.0.1:${postgres.port}  (embedded; data kept in .local/postgres)`);

let vault: VaultServer | undefined;
try {
  // Only a binary that is already present: `npm start` stays fast and never builds one.
  await resolveBinary('vault', () => {
    throw new Error('not present');
  });
  vault = await startVault({ mode: 'dev' });
  lines.push(`Vault        ${vault.address}  (dev server, in memory: signing keys are new on every start)`);
} catch {
  lines.push('Vault        not running: no vault/bao binary here; user-service keeps its keys in .local/ (development only)');
}

const userServicePort = Number(process.env['USER_SERVICE_PORT'] ?? 8081);
const userService: ManagedProcess = spawnManaged(process.execPath, [join(root, 'services/user-service/src/main.ts')], {
  name: 'user-service',
  logFile: join(state, 'user-service.log'),
  env: {
    PORT: String(userServicePort),
    HOST: '127.0.0.1',
    DATABASE_PORT: String(postgres.port),
    DATABASE_USER: postgres.user,
    DATABASE_PASSWORD: postgres.password,
    // Plain http://localhost: browsers drop Secure cookies there only on some setups, so be explicit.
    COOKIE_SECURE: 'false',
    LOCAL_KEY_FILE: join(state, 'user-service-keys.json'),
    ...(vault !== undefined ? { VAULT_ADDR: vault.address, VAULT_AUTH: 'token', VAULT_TOKEN: vault.rootToken ?? '' } : { VAULT_ADDR: '' }),
  },
});
await waitFor(async () => (await fetch(`http://127.0.0.1:${userServicePort}/readyz`)).ok, {
  what: 'user-service to be ready',
  process: userService,
  timeoutMs: 30_000,
});
lines.push(`user-service http://127.0.0.1:${userServicePort}  (OpenAPI at /openapi.json; logs in .local/user-service.log)`);

console.log(`Content Factory (local) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const line of lines) console.log(`  ${line}`);
console.log('  Not yet part of the platform: api-gateway, integration-service, web (open issues).');
console.log('Ctrl-C stops everything.');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await userService.stop();
  await Promise.all([postgres.stop(), vault?.stop()]);
  process.exit(0);
}
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
setInterval(() => {}, 1 << 30);
