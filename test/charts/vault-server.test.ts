import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prod } from '../../charts-ts/src/profile.ts';
import { VAULT_LIVENESS_PATH, VAULT_READINESS_PATH } from '../../charts-ts/src/charts/vault-server.ts';
import { vaultServerConfig } from '../../charts-ts/src/vault-hcl.ts';
import { resolveBinary } from '../support/binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor } from '../support/process.ts';

/** What a kubelet HTTP probe makes of a status code: success is 200–399. */
const probeOk = (status: number): boolean => status >= 200 && status < 400;

test('the generated vault.hcl starts a real OpenBao, whose probes keep a sealed pod alive but not ready', async (t) => {
  t.timeout(90_000);
  const { path: binary } = await resolveBinary('vault');
  const dir = scratchDir('vault-hcl');
  const [port, clusterPort] = [await freePort(), await freePort()];
  const address = `http://127.0.0.1:${port}`;
  mkdirSync(join(dir, 'data'));
  // The pod's paths and addresses become local ones; service_registration "kubernetes" needs a pod's
  // in-cluster credentials, so it is the one block left out here (the API-server test covers its RBAC).
  const hcl = vaultServerConfig(prod)
    .replace('path = "/vault/data"', `path = "${join(dir, 'data')}"`)
    .replace('"[::]:8200"', `"127.0.0.1:${port}"`)
    .replace('"[::]:8201"', `"127.0.0.1:${clusterPort}"`)
    .replace('service_registration "kubernetes" {}', '');
  t.regex(hcl, /retry_join/);
  writeFileSync(join(dir, 'vault.hcl'), hcl);
  const server = spawnManaged(binary, ['server', `-config=${join(dir, 'vault.hcl')}`], {
    name: 'openbao',
    logFile: join(dir, 'vault.log'),
    env: {
      HOME: dir,
      VAULT_API_ADDR: address,
      VAULT_CLUSTER_ADDR: `http://127.0.0.1:${clusterPort}`,
      BAO_API_ADDR: address,
      BAO_CLUSTER_ADDR: `http://127.0.0.1:${clusterPort}`,
    },
  });
  try {
    const status = async (path: string): Promise<number> =>
      (await fetch(`${address}${path}`, { signal: AbortSignal.timeout(2000) })).status;
    await waitFor(async () => (await status('/v1/sys/seal-status')) === 200, {
      what: 'OpenBao to answer',
      process: server,
    });
    const probes = async (): Promise<{ live: boolean; ready: boolean }> => ({
      live: probeOk(await status(VAULT_LIVENESS_PATH)),
      ready: probeOk(await status(VAULT_READINESS_PATH)),
    });

    t.deepEqual(await probes(), { live: true, ready: false }, 'uninitialized');

    const init = await fetch(`${address}/v1/sys/init`, {
      method: 'PUT',
      body: JSON.stringify({ secret_shares: 1, secret_threshold: 1 }),
    });
    t.is(init.status, 200);
    const { keys_base64: keys } = (await init.json()) as { keys_base64: string[] };
    t.deepEqual(await probes(), { live: true, ready: false }, 'initialized and sealed');

    const unseal = await fetch(`${address}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key: keys[0] }) });
    t.is(unseal.status, 200);
    const ready = await waitFor(
      async () => {
        const p = await probes();
        return p.ready ? p : undefined;
      },
      { what: 'OpenBao to become active', process: server, timeoutMs: 30_000 },
    );
    t.deepEqual(ready, { live: true, ready: true }, 'unsealed and active');
  } finally {
    await server.stop();
  }
  t.notRegex(
    readFileSync(join(dir, 'vault.log'), 'utf8'),
    /unknown or unsupported field/,
    'OpenBao ignores part of vault.hcl',
  );
});
