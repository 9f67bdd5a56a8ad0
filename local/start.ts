// `npm start`: the platform on this machine, no cluster. Today that is its backing services — an embedded
// PostgreSQL and, when a Vault/OpenBao binary is already here, a Vault dev server. The application
// services join as their issues land (user-service, integration-service, api-gateway, web).
import { startPostgres } from '../test/support/postgres.ts';
import { startVault } from '../test/support/vault.ts';
import { resolveBinary } from '../test/support/binaries.ts';

const started = Date.now();
const postgres = await startPostgres();
const lines = [`PostgreSQL ${postgres.host}:${postgres.port} (embedded, fresh data, user postgres)`];

let vault: Awaited<ReturnType<typeof startVault>> | undefined;
try {
  // Only a binary that is already present: `npm start` must be fast, so it never builds one.
  await resolveBinary('vault', () => {
    throw new Error('not present');
  });
  vault = await startVault({ mode: 'dev' });
  lines.push(`Vault dev server ${vault.address} (in memory, dev mode: never for real secrets)`);
} catch {
  lines.push('Vault: no vault/bao binary here (run `npm test` once, or set CF_VAULT_BIN); skipped');
}

console.log(`Content Factory (local) ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const line of lines) console.log(`  ${line}`);
console.log('  Application services are not part of the platform yet; see README.');
console.log('Ctrl-C stops everything.');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([postgres.stop(), vault?.stop()]);
  process.exit(0);
}
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
setInterval(() => {}, 1 << 30);
