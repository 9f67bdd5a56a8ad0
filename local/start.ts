// `npm start`: the whole platform on this machine, no cluster, embedded defaults:
// PostgreSQL (embedded, data kept in .local/postgres), a Vault dev server when a vault/bao binary is
// already here, user-service, integration-service (demo mode on the scripted Telegram fake unless
// Telegram API credentials are configured), and api-gateway serving the web UI on http://localhost:8080.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from '../test/support/binaries.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { spawnManaged, waitFor, type ManagedProcess } from '../test/support/process.ts';
import { startVault, type VaultServer } from '../test/support/vault.ts';
import { VaultClient } from '@cf/kit';

const root = fileURLToPath(new URL('..', import.meta.url));
const state = resolve(process.env['CF_LOCAL_STATE'] ?? join(root, '.local'));
const started = Date.now();
const lines: string[] = [];
const services: ManagedProcess[] = [];
const gatewayPort = Number(process.env['PORT'] ?? 8080);
const userServicePort = gatewayPort + 1;
const integrationPort = gatewayPort + 2;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Rebuilds the UI only when its sources changed since the last build (about a second when it must). */
function ensureWebBuilt(): void {
  const web = join(root, 'services/web');
  const built = join(web, 'dist/index.html');
  const sources = Math.max(newestMtime(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build', web, '--logLevel', 'warn'],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) throw new Error('building the web UI failed');
}

async function startService(name: string, entry: string, port: number, env: Record<string, string>): Promise<void> {
  const proc = spawnManaged(process.execPath, [join(root, entry)], {
    name,
    logFile: join(state, `${name}.log`),
    env: { PORT: String(port), HOST: '127.0.0.1', ...env },
  });
  services.push(proc);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
    what: `${name} to start`,
    process: proc,
    timeoutMs: 30_000,
  });
}

const webBuild = Promise.resolve().then(ensureWebBuilt);
const postgres = await startPostgres({ dir: join(state, 'postgres') });
const databases = new Set(
  (await postgres.query<{ datname: string }>('SELECT datname FROM pg_database')).map((row) => row.datname),
);
for (const name of ['users', 'integrations']) if (!databases.has(name)) await postgres.query(`CREATE DATABASE ${name}`);
lines.push(
  `PostgreSQL           127.0.0.1:${postgres.port}  embedded; data kept in ${relative(root, join(state, 'postgres')) || join(state, 'postgres')}`,
);

let vault: VaultServer | undefined;
try {
  // Only a binary that is already present: `npm start` stays fast and never builds one.
  await resolveBinary('vault', () => {
    throw new Error('not present');
  });
  vault = await startVault({ mode: 'dev' });
  lines.push(
    `Vault                ${vault.address}  dev server, in memory (keys and encrypted sessions are new on every start)`,
  );
} catch {
  lines.push(
    'Vault                not running — no vault/bao binary here; services use their development-only local secret files in .local/',
  );
}
const vaultEnv: Record<string, string> =
  vault !== undefined
    ? { VAULT_ADDR: vault.address, VAULT_AUTH: 'token', VAULT_TOKEN: vault.rootToken ?? '' }
    : { VAULT_ADDR: '' };
const database = {
  DATABASE_PORT: String(postgres.port),
  DATABASE_USER: postgres.user,
  DATABASE_PASSWORD: postgres.password,
};

await startService('user-service', 'services/user-service/src/main.ts', userServicePort, {
  ...database,
  ...vaultEnv,
  TRUST_PROXY: 'true',
  // http://localhost: keep the cookie usable where a browser insists on HTTPS for Secure cookies.
  COOKIE_SECURE: 'false',
  LOCAL_KEY_FILE: join(state, 'user-service-keys.json'),
});
lines.push(`user-service         http://127.0.0.1:${userServicePort}`);

const apiId = process.env['TELEGRAM_API_ID'];
const apiHash = process.env['TELEGRAM_API_HASH'];
// Real Telegram needs its API credentials where integration-service reads them: Vault KV. Without a Vault
// here there is nowhere safe to put them, so the demo fake runs instead (and says so).
const demo = apiId === undefined || apiHash === undefined || vault === undefined;
if (!demo && vault !== undefined) {
  const admin = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'token', token: vault.rootToken ?? '' },
  });
  await admin.kvWrite('secret', 'integration-service/telegram', { api_id: Number(apiId), api_hash: apiHash });
  admin.close();
}
const integrationEntry = 'services/integration-service/src/main.ts';
if (existsSync(join(root, integrationEntry))) {
  await startService('integration-service', integrationEntry, integrationPort, {
    ...database,
    ...vaultEnv,
    DATABASE_NAME: 'integrations',
    JWKS_URL: `http://127.0.0.1:${userServicePort}/.well-known/jwks.json`,
    POD_NAME: 'local-0',
    PEER_ADDRESS_TEMPLATE: `http://127.0.0.1:${integrationPort}`,
    LOCAL_SESSION_KEY_FILE: join(state, 'integration-service-session.key'),
    VAULT_TRANSIT_ENSURE: 'true',
    ...(demo ? { TELEGRAM_MODE: 'demo' } : {}),
  });
  lines.push(
    `integration-service  http://127.0.0.1:${integrationPort}  ${demo ? `DEMO MODE: a scripted Telegram fake, no real accounts (${vault === undefined ? 'real Telegram needs a Vault binary and' : 'set'} TELEGRAM_API_ID and TELEGRAM_API_HASH for the real thing)` : 'real Telegram (credentials stored in the dev Vault)'}`,
  );
}

await webBuild;
await startService('api-gateway', 'services/api-gateway/src/main.ts', gatewayPort, {
  USER_SERVICE_URL: `http://127.0.0.1:${userServicePort}`,
  INTEGRATION_SERVICE_URL: `http://127.0.0.1:${integrationPort}`,
  PUBLIC_ORIGIN: `http://localhost:${gatewayPort}`,
  CORS_ORIGINS: `http://127.0.0.1:${gatewayPort}`,
  WEB_ROOT: join(root, 'services/web/dist'),
  DEBUG: 'true',
});
lines.push(`api-gateway + web    http://localhost:${gatewayPort}  (API under /api, docs at /api/docs)`);

console.log(
  `Content Factory (local) ready in ${((Date.now() - started) / 1000).toFixed(1)} s — open http://localhost:${gatewayPort}`,
);
for (const line of lines) console.log(`  ${line}`);
console.log(`  logs: ${relative(root, state) || state}/*.log · Ctrl-C stops everything`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const proc of [...services].reverse()) await proc.stop();
  await Promise.all([postgres.stop(), vault?.stop()]);
  console.log('Content Factory (local) stopped; nothing left running.');
  process.exit(0);
}
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
setInterval(() => {}, 1 << 30);
