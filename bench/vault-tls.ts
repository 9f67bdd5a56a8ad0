// Vault transit-encrypt latency over TLS against plain HTTP, through the kit's Vault client (what services use),
// on ONE OpenBao process with two listeners: the generated TLS listener (vault-hcl.ts, certificate from a
// throwaway CA) and a plain one. Rounds alternate between them so load on the machine hits both alike.
// Goal (issue 20): TLS p50 ≤ 1.2 × plain p50.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prod } from '../charts-ts/src/profile.ts';
import { vault } from '../charts-ts/src/platform.ts';
import { vaultServerConfig } from '../charts-ts/src/vault-hcl.ts';
import { VaultClient } from '../services/kit/src/vault/client.ts';
import { resolveBinary } from '@cf/embedded/built-binaries';
import { freePort, scratchDir, spawnManaged, waitFor } from '@cf/embedded/process';
import { issueServerTls } from '@cf/embedded/server-tls';
import { median, percentile, timeMs } from './stats.ts';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 20);
const PER_ROUND = Number(process.env['BENCH_PER_ROUND'] ?? 50);
const GOAL_RATIO = 1.2;

const { path: binary } = await resolveBinary('vault');
const dir = scratchDir('bench-vault-tls');
const tls = await issueServerTls(join(dir, 'tls'), { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
const [tlsPort, plainPort, clusterPort] = [await freePort(), await freePort(), await freePort()];
mkdirSync(join(dir, 'data'));
const hcl = `${vaultServerConfig(prod)
  .replace('path = "/vault/data"', `path = "${join(dir, 'data')}"`)
  .replaceAll(`"${vault.tlsDir}/`, `"${tls.dir}/`)
  .replace('"[::]:8200"', `"127.0.0.1:${tlsPort}"`)
  .replace('"[::]:8201"', `"127.0.0.1:${clusterPort}"`)
  .replace('service_registration "kubernetes" {}', '')}
listener "tcp" {
  address     = "127.0.0.1:${plainPort}"
  tls_disable = true
}
`;
writeFileSync(join(dir, 'vault.hcl'), hcl);
const tlsAddress = `https://127.0.0.1:${tlsPort}`;
const plainAddress = `http://127.0.0.1:${plainPort}`;
const server = spawnManaged(binary, ['server', `-config=${join(dir, 'vault.hcl')}`], {
  name: 'openbao',
  logFile: join(dir, 'vault.log'),
  env: { HOME: dir, BAO_API_ADDR: tlsAddress, BAO_CLUSTER_ADDR: `https://127.0.0.1:${clusterPort}` },
});
try {
  await waitFor(
    async () => (await fetch(`${plainAddress}/v1/sys/seal-status`, { signal: AbortSignal.timeout(2000) })).ok,
    { what: 'OpenBao', process: server },
  );
  const init = (await (
    await fetch(`${plainAddress}/v1/sys/init`, {
      method: 'PUT',
      body: JSON.stringify({ secret_shares: 1, secret_threshold: 1 }),
    })
  ).json()) as { keys_base64: string[]; root_token: string };
  await fetch(`${plainAddress}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key: init.keys_base64[0] }) });
  const auth = { method: 'token' as const, token: init.root_token };
  const plain = await waitFor(
    async () => {
      const client = await VaultClient.connect({ endpoint: plainAddress, auth }).catch(() => undefined);
      return client !== undefined && (await client.healthy()) ? client : undefined;
    },
    { what: 'OpenBao to become active', process: server, timeoutMs: 60_000 },
  );
  const secure = await VaultClient.connect({ endpoint: tlsAddress, auth, ca: readFileSync(tls.caCert, 'utf8') });
  await plain.request('POST', '/sys/mounts/transit', { type: 'transit' });
  await plain.request('POST', '/transit/keys/bench', { type: 'aes256-gcm96' });
  // A Telegram session string is a few hundred bytes.
  const plaintext = 'x'.repeat(400);
  const samples: Record<'plain' | 'tls', number[]> = { plain: [], tls: [] };
  const clients = { plain, tls: secure };
  for (const client of Object.values(clients))
    for (let i = 0; i < 20; i++) await client.transitEncrypt('bench', plaintext);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['plain', 'tls'] as const) : (['tls', 'plain'] as const);
    for (const kind of order) {
      for (let i = 0; i < PER_ROUND; i++)
        samples[kind].push(await timeMs(() => clients[kind].transitEncrypt('bench', plaintext)));
    }
  }
  plain.close();
  secure.close();
  const row = (kind: 'plain' | 'tls'): string =>
    `${kind.padEnd(5)} p50 ${median(samples[kind]).toFixed(2)} ms  p95 ${percentile(samples[kind], 95).toFixed(2)} ms  (n=${samples[kind].length})`;
  console.log(row('plain'));
  console.log(row('tls'));
  const ratio = median(samples.tls) / median(samples.plain);
  const ratio95 = percentile(samples.tls, 95) / percentile(samples.plain, 95);
  console.log(
    `transit encrypt, TLS / plain: p50 ${ratio.toFixed(2)}×, p95 ${ratio95.toFixed(2)}× (goal p50 ≤ ${GOAL_RATIO}×)`,
  );
  if (ratio > GOAL_RATIO) process.exitCode = 1;
} finally {
  await server.stop();
}
