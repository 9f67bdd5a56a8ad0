import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { prod } from '../../charts-ts/src/profile.ts';
import { vault } from '../../charts-ts/src/platform.ts';
import { VAULT_LIVENESS_PATH, VAULT_READINESS_PATH } from '../../charts-ts/src/charts/vault-server.ts';
import { vaultServerConfig } from '../../charts-ts/src/vault-hcl.ts';
import { connectVaultFromEnv } from '../../services/kit/src/from-env.ts';
import { createLogger } from '../../services/kit/src/logger.ts';
import { VaultClient } from '../../services/kit/src/vault/client.ts';
import { resolveBinary } from '../support/binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from '../support/process.ts';
import { issueServerTls, type ServerTls } from '../support/server-tls.ts';

// The generated vault.hcl on a real OpenBao, with a certificate from a throwaway CA in place of cert-manager's.

/** What a kubelet HTTP probe makes of a status code: success is 200–399. */
const probeOk = (status: number): boolean => status >= 200 && status < 400;

let server: ManagedProcess;
let address: string;
let tls: ServerTls;
let dir: string;
const state: { rootToken?: string } = {};

/** One HTTPS request verifying the server against the test CA; resolves with the status code and body. */
function status(
  path: string,
  method = 'GET',
  body?: unknown,
  timeoutMs = 3000,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${address}${path}`, { method, ca: readFileSync(tls.caCert), timeout: timeoutMs }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text === '' ? undefined : JSON.parse(text) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

test.before(async () => {
  const { path: binary } = await resolveBinary('vault');
  dir = scratchDir('vault-hcl');
  tls = await issueServerTls(join(dir, 'tls'), { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  const [port, clusterPort] = [await freePort(), await freePort()];
  address = `https://127.0.0.1:${port}`;
  mkdirSync(join(dir, 'data'));
  // The pod's paths and addresses become local ones; service_registration "kubernetes" needs a pod's
  // in-cluster credentials, so it is the one block left out here (the API-server test covers its RBAC).
  const hcl = vaultServerConfig(prod)
    .replace('path = "/vault/data"', `path = "${join(dir, 'data')}"`)
    .replaceAll(`"${vault.tlsDir}/`, `"${tls.dir}/`)
    .replace('"[::]:8200"', `"127.0.0.1:${port}"`)
    .replace('"[::]:8201"', `"127.0.0.1:${clusterPort}"`)
    .replace('service_registration "kubernetes" {}', '');
  writeFileSync(join(dir, 'vault.hcl'), hcl);
  server = spawnManaged(binary, ['server', `-config=${join(dir, 'vault.hcl')}`], {
    name: 'openbao',
    logFile: join(dir, 'vault.log'),
    env: {
      HOME: dir,
      VAULT_API_ADDR: address,
      VAULT_CLUSTER_ADDR: `https://127.0.0.1:${clusterPort}`,
      BAO_API_ADDR: address,
      BAO_CLUSTER_ADDR: `https://127.0.0.1:${clusterPort}`,
    },
  });
  await waitFor(async () => (await status('/v1/sys/seal-status')).status === 200, {
    what: 'OpenBao to answer over TLS',
    process: server,
  });
});

test.after.always(async () => {
  await server?.stop();
});

test.serial(
  'the generated vault.hcl serves TLS with the given certificate, and probes keep a sealed pod alive but not ready',
  async (t) => {
    t.timeout(90_000);
    t.regex(vaultServerConfig(prod), /leader_ca_cert_file/);
    const probes = async (): Promise<{ live: boolean; ready: boolean }> => ({
      live: probeOk((await status(VAULT_LIVENESS_PATH)).status),
      ready: probeOk((await status(VAULT_READINESS_PATH)).status),
    });
    t.deepEqual(await probes(), { live: true, ready: false }, 'uninitialized');
    // Initializing writes the first raft entries and keys: slow on a loaded machine.
    const init = await status('/v1/sys/init', 'PUT', { secret_shares: 1, secret_threshold: 1 }, 60_000);
    t.is(init.status, 200);
    const { keys_base64: keys, root_token: rootToken } = init.json as { keys_base64: string[]; root_token: string };
    state.rootToken = rootToken;
    t.deepEqual(await probes(), { live: true, ready: false }, 'initialized and sealed');
    t.is((await status('/v1/sys/unseal', 'PUT', { key: keys[0] }, 30_000)).status, 200);
    const ready = await waitFor(
      async () => {
        const p = await probes();
        return p.ready ? p : undefined;
      },
      { what: 'OpenBao to become active', process: server, timeoutMs: 30_000 },
    );
    t.deepEqual(ready, { live: true, ready: true }, 'unsealed and active');
    t.notRegex(
      readFileSync(join(dir, 'vault.log'), 'utf8'),
      /unknown or unsupported field/,
      'OpenBao ignores part of vault.hcl',
    );
  },
);

test.serial("a service's Vault client that verifies the internal CA connects over TLS", async (t) => {
  const client = await VaultClient.connect({
    endpoint: address,
    auth: { method: 'token', token: state.rootToken! },
    ca: readFileSync(tls.caCert, 'utf8'),
  });
  try {
    t.true(await client.healthy());
  } finally {
    client.close();
  }
});

test.serial('a Vault client without the internal CA refuses the certificate', async (t) => {
  const error = await t.throwsAsync(
    VaultClient.connect({ endpoint: address, auth: { method: 'token', token: state.rootToken! }, timeoutMs: 3000 }),
  );
  t.regex(
    `${error.message} ${String((error.cause as Error | undefined)?.message ?? '')}`,
    /certificate|VERIFY|self.signed|issuer/i,
  );
});

test.serial('services reach Vault over TLS from their environment (VAULT_ADDR https, VAULT_CACERT)', async (t) => {
  const client = await connectVaultFromEnv(
    {
      VAULT_ADDR: address,
      VAULT_AUTH: 'token',
      VAULT_TOKEN: state.rootToken!,
      VAULT_ROLE: 'unused',
      VAULT_JWT_FILE: '/nonexistent',
      VAULT_CACERT: tls.caCert,
    },
    createLogger({ name: 'test', level: 'fatal' }),
  );
  try {
    t.true(await client!.healthy());
  } finally {
    client?.close();
  }
});

test.serial("the generated vault.hcl's audit device writes each request to stdout with the token HMAC'd", async (t) => {
  // A request with the root token: audited as a request and a response entry.
  const answered = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${address}/v1/sys/mounts`,
      { ca: readFileSync(tls.caCert), timeout: 10_000, headers: { 'x-vault-token': state.rootToken! } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('sys/mounts: no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
  t.is(answered, 200);
  const entries = await waitFor(
    async () => {
      const records = readFileSync(join(dir, 'vault.log'), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"') && line.includes('"path":"sys/mounts"'));
      return records.some((line) => line.includes('"type":"response"')) ? records : undefined;
    },
    { what: 'audit records of sys/mounts in the server log', process: server },
  );
  t.true(
    entries.every((line) => !line.includes(state.rootToken!)),
    'the root token never appears in clear',
  );
  t.true(
    entries.some((line) => /"client_token":"hmac-sha256:/.test(line)),
    'the client token is HMACed',
  );
});
