// `npm start`: the whole platform on this machine, no cluster. PostgreSQL (durable, data in .local/postgres),
// Vault (OpenBao server, raft storage in .local/vault, unsealed by vault-unsealer's local mode and configured from
// the cluster's own declarative configuration), user-service, integration-service (demo mode on the scripted
// Telegram fake unless Telegram API credentials are given) and api-gateway serving the web UI.
// Flags: `--reset` wipes the state directory after a confirmation (`--yes` skips it).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PostgresServer } from '@cf/embedded/postgres';
import type { ManagedProcess } from '@cf/embedded/process';
import { startMailpit } from '@cf/embedded/mailpit';
import { startLocalPostgres } from './postgres.ts';
import { ensureWebBuilt, launchService, type LaunchedService } from './services.ts';
import { confirmAndReset, lockState, runningInstance, shown, stateDir } from './state.ts';
import { takenPorts } from './ports.ts';
import { printTable, type Row } from './table.ts';
import type { LocalVaultAdmin } from './vault-admin.ts';
import { startLocalVault, type LocalVaultServer } from './vault.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const state = stateDir(root);
const args = process.argv.slice(2);
const gatewayPort = Number(process.env['PORT'] ?? 8080);
const ports = {
  gateway: gatewayPort,
  userService: gatewayPort + 1,
  integration: gatewayPort + 2,
  vault: gatewayPort + 3,
  vaultCluster: gatewayPort + 4,
  postgres: gatewayPort + 5,
  mailSmtp: gatewayPort + 6,
  mailInbox: gatewayPort + 7,
};
const url = `http://localhost:${gatewayPort}`;
const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const progress = (line: string): void => console.log(`· ${elapsed().padStart(6)}  ${line}`);

const already = runningInstance(state);
if (already !== undefined) {
  console.log(
    `Content Factory (local) is already running on ${shown(root, state)} (pid ${already.pid}, since ${already.startedAt}): open ${already.url}. Stop it with Ctrl-C in its terminal (or kill ${already.pid}) before starting another.`,
  );
  process.exit(1);
}
if (args.includes('--reset')) {
  if (!(await confirmAndReset(root, state, args.includes('--yes')))) {
    console.log('Nothing deleted.');
    process.exit(1);
  }
  console.log(`Deleted ${shown(root, state)}/; starting afresh.`);
}
const taken = lockState(state, url);
if (!('release' in taken)) {
  console.log(`Content Factory (local) is already running (pid ${taken.pid}): open ${taken.url}.`);
  process.exit(1);
}
const lock = taken;
// Vault keeps the ports of its first start (vault.ts), so only a fresh state checks Vault's.
const clashes = await takenPorts({
  'api-gateway': ports.gateway,
  'user-service': ports.userService,
  'integration-service': ports.integration,
  PostgreSQL: ports.postgres,
  'Mailpit SMTP': ports.mailSmtp,
  'Mailpit inbox': ports.mailInbox,
  ...(existsSync(join(state, 'vault', 'listener.json'))
    ? {}
    : { Vault: ports.vault, 'Vault cluster': ports.vaultCluster }),
});
if (clashes.length > 0) {
  lock.release();
  console.log(
    `Ports in use by another program: ${clashes.join(', ')}. Stop it, or move the whole set: PORT=${gatewayPort + 100} npm start`,
  );
  process.exit(1);
}

const vaultWanted = process.env['CF_LOCAL_VAULT'] !== 'off';
const rows: Row[] = [];
const services: ManagedProcess[] = [];
let postgres: PostgresServer | undefined;
let vault: LocalVaultServer | undefined;
let admin: LocalVaultAdmin | undefined;

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const proc of [...services].reverse()) await proc.stop();
    await admin?.close();
    await vault?.server.stop();
    await postgres?.stop();
    lock.release();
  }
  if (code === 0) console.log('Content Factory (local) stopped; nothing left running.');
  process.exit(code);
}
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  // First, so the services load their modules while PostgreSQL and Vault start (local/launcher.ts).
  const launched: Record<'users' | 'integration' | 'gateway', LaunchedService> = {
    users: launchService(root, state, 'user-service', 'services/user-service/src/main.ts', ports.userService),
    integration: launchService(
      root,
      state,
      'integration-service',
      'services/integration-service/src/main.ts',
      ports.integration,
    ),
    gateway: launchService(root, state, 'api-gateway', 'services/api-gateway/src/main.ts', gatewayPort),
  };
  services.push(...Object.values(launched).map((service) => service.process));
  const webBuild = ensureWebBuilt(root);
  // Awaited below with the services; a failure must not go unhandled meanwhile.
  webBuild.catch(() => undefined);
  progress(
    existsSync(join(state, 'postgres'))
      ? 'starting PostgreSQL'
      : `creating PostgreSQL in ${shown(root, join(state, 'postgres'))}`,
  );
  if (vaultWanted) progress('starting Vault (OpenBao server, raft storage)');
  // Side by side: Vault needs PostgreSQL only for its database engine's configuration, and the modules that
  // administer Vault (the kit, zod, the charts' configuration) load while both processes boot.
  const [pgOutcome, vaultOutcome, adminOutcome, mailOutcome] = await Promise.allSettled([
    startLocalPostgres(state, ports.postgres),
    vaultWanted
      ? startLocalVault({ state, port: ports.vault, clusterPort: ports.vaultCluster, progress })
      : Promise.resolve(undefined),
    vaultWanted ? import('./vault-admin.ts') : Promise.resolve(undefined),
    // The mail catcher: every mail the platform sends (verification, reset) lands in its web inbox.
    startMailpit({ smtpPort: ports.mailSmtp, httpPort: ports.mailInbox, dir: join(state, 'mail') }),
  ]);
  if (mailOutcome.status === 'fulfilled') services.push(mailOutcome.value.process);
  if (pgOutcome.status === 'fulfilled') postgres = pgOutcome.value;
  if (vaultOutcome.status === 'fulfilled') vault = vaultOutcome.value;
  if (pgOutcome.status === 'rejected') throw pgOutcome.reason;
  if (vaultOutcome.status === 'rejected') {
    const reason = vaultOutcome.reason as Error;
    throw new Error(
      `${reason.message}\n(Vault is what keeps keys and Telegram sessions across restarts; CF_LOCAL_VAULT=off runs without it on development-only key files.)`,
      { cause: reason },
    );
  }
  if (adminOutcome.status === 'rejected') throw adminOutcome.reason;
  if (mailOutcome.status === 'rejected') throw mailOutcome.reason;
  rows.push({
    name: 'Mailpit (mail)',
    address: mailOutcome.value.url,
    note: `every mail the platform sends lands here (SMTP 127.0.0.1:${ports.mailSmtp})`,
  });
  if (vault !== undefined && adminOutcome.value !== undefined) {
    admin = await adminOutcome.value.administer(vault.address, vault.rootToken);
  }
  const db = postgres!;
  rows.push({
    name: 'PostgreSQL',
    address: `127.0.0.1:${db.port}`,
    note: `durable; data in ${shown(root, join(state, 'postgres'))}`,
  });

  const database = { host: '127.0.0.1', port: db.port, username: db.user, password: db.password };
  let serviceVault: (name: string) => Record<string, string>;
  if (vault !== undefined && admin !== undefined) {
    const local = vault;
    const tokens = admin.tokens;
    await admin.configure(database);
    progress('Vault configured (KV, transit, database engine, policies)');
    rows.push({
      name: 'Vault',
      address: local.address,
      note: `server mode, raft in ${shown(root, join(state, 'vault'))}; keys in ${shown(root, join(state, 'vault-keys.json'))} (0600)`,
    });
    serviceVault = (name) => ({
      VAULT_ADDR: local.address,
      VAULT_AUTH: 'token',
      VAULT_TOKEN: tokens.get(name) ?? '',
      VAULT_ROLE: name,
      VAULT_DATABASE_ROLE: name,
    });
  } else {
    rows.push({
      name: 'Vault',
      address: '—',
      note: 'OFF (CF_LOCAL_VAULT=off): DEVELOPMENT-ONLY key files in .local/, static database login',
    });
    serviceVault = () => ({ VAULT_ADDR: '', DATABASE_USER: database.username, DATABASE_PASSWORD: database.password });
  }
  const databaseEnv = (name: string): Record<string, string> => ({
    DATABASE_HOST: '127.0.0.1',
    DATABASE_PORT: String(db.port),
    DATABASE_NAME: name,
    DATABASE_OWNER_ROLE: name,
  });

  const apiId = process.env['TELEGRAM_API_ID'];
  const apiHash = process.env['TELEGRAM_API_HASH'];
  // Real Telegram needs its API credentials where integration-service reads them: Vault KV.
  const demo = apiId === undefined || apiHash === undefined || vault === undefined;
  if (!demo && admin !== undefined) {
    await admin.client.kvWrite('secret', 'integration-service/telegram', { api_id: Number(apiId), api_hash: apiHash });
  }

  progress('starting user-service, integration-service and api-gateway (their modules loaded meanwhile)');
  // Each service starts its own process; none needs another to answer before it listens.
  const starting = [
    launched.users.start({
      ...databaseEnv('user_service'),
      ...serviceVault('user-service'),
      TRUST_PROXY: 'true',
      // http://localhost: keep the cookie usable where a browser insists on HTTPS for Secure cookies.
      COOKIE_SECURE: 'false',
      LOCAL_KEY_FILE: join(state, 'user-service-keys.json'),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(ports.mailSmtp),
      SMTP_TLS: 'none',
      PUBLIC_URL: url,
    }),
    launched.integration.start({
      ...databaseEnv('integration_service'),
      ...serviceVault('integration-service'),
      JWKS_URL: `http://127.0.0.1:${ports.userService}/.well-known/jwks.json`,
      POD_NAME: 'local-0',
      PEER_ADDRESS_TEMPLATE: `http://127.0.0.1:${ports.integration}`,
      LOCAL_SESSION_KEY_FILE: join(state, 'integration-service-session.key'),
      ...(demo ? { TELEGRAM_MODE: 'demo', DEMO_STATE_FILE: join(state, 'demo-telegram.json') } : {}),
    }),
    webBuild.then(() =>
      launched.gateway.start({
        // Rate limits counted in its own database, as in the cluster.
        ...databaseEnv('api_gateway'),
        ...serviceVault('api-gateway'),
        USER_SERVICE_URL: `http://127.0.0.1:${ports.userService}`,
        INTEGRATION_SERVICE_URL: `http://127.0.0.1:${ports.integration}`,
        PUBLIC_ORIGIN: url,
        CORS_ORIGINS: `http://127.0.0.1:${gatewayPort}`,
        WEB_ROOT: join(root, 'services/web/dist'),
        DEBUG: 'true',
      }),
    ),
  ];
  // Started ones are stopped on failure too, so every outcome is awaited before deciding.
  const outcomes = await Promise.allSettled(starting);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  rows.push({ name: 'user-service', address: `http://127.0.0.1:${ports.userService}`, note: '' });
  rows.push({
    name: 'integration-service',
    address: `http://127.0.0.1:${ports.integration}`,
    note: demo
      ? `DEMO MODE: scripted Telegram fake (code 12345); real Telegram: set TELEGRAM_API_ID and TELEGRAM_API_HASH${vault === undefined ? ' with Vault on' : ''}`
      : 'real Telegram (API credentials stored in Vault KV)',
  });
  rows.unshift({ name: 'api-gateway + web', address: url, note: 'open this; API under /api, docs at /api/docs' });
} catch (error) {
  console.error(`npm start failed: ${(error as Error).message}`);
  console.error(`logs: ${shown(root, state)}/*.log`);
  await stop(1);
}

console.log(`Content Factory (local) ready in ${((Date.now() - started) / 1000).toFixed(1)} s — open ${url}`);
if (vault !== undefined && vault.downloadMs > 0) {
  console.log(`  (of which ${(vault.downloadMs / 1000).toFixed(1)} s obtaining the OpenBao binary, once per machine)`);
}
printTable(rows);
console.log(`  logs: ${shown(root, state)}/*.log · Ctrl-C stops everything · npm start -- --reset wipes the state`);
setInterval(() => {}, 1 << 30);
