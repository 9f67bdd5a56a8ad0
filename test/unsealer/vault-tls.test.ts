import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultClient } from '@cf/kit';
import { initializeAndUnseal, trustedVaultCa, trustVaultCa } from '@cf/vault-unsealer';
import { sealStatus, VaultHttpError } from '@cf/vault-unsealer/vault-http';
import { resolveBinary } from '../support/binaries.ts';
import { createTestPki, type TestPki } from '../support/certificates.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from '../support/process.ts';

// OpenBao with a TLS listener whose certificate a test CA signed (SAN 127.0.0.1). Trusting that CA is
// process-wide, and ava runs each test file in its own process, so the order below is the specification:
// unknown CA refused, then every client of the unsealer verifies against the configured CA.

let server: ManagedProcess | undefined;
let pki: TestPki;
let address: string;

test.before(async () => {
  const dir = scratchDir('vault-tls');
  pki = await createTestPki(dir);
  mkdirSync(join(dir, 'raft'));
  const [port, clusterPort] = [await freePort(), await freePort()];
  address = `https://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'vault.hcl'),
    [
      `storage "raft" {\n  path = "${join(dir, 'raft')}"\n  node_id = "tls-0"\n}`,
      `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  cluster_address = "127.0.0.1:${clusterPort}"`,
      `  tls_cert_file = "${pki.serverCert}"\n  tls_key_file = "${pki.serverKey}"\n}`,
      `api_addr = "${address}"\ncluster_addr = "https://127.0.0.1:${clusterPort}"\nui = false\n`,
    ].join('\n'),
  );
  const { path } = await resolveBinary('vault');
  server = spawnManaged(path, ['server', `-config=${join(dir, 'vault.hcl')}`], {
    name: 'vault-tls',
    logFile: join(dir, 'vault.log'),
    env: { HOME: dir, VAULT_LOG_LEVEL: 'warn' },
  });
  // Up once connections are no longer refused (they then fail certificate verification: no CA yet).
  await waitFor(
    async () =>
      fetch(`${address}/v1/sys/health`).then(
        () => true,
        (error: unknown) => (error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED',
      ),
    { what: 'the TLS listener', process: server },
  );
});

test.after.always(async () => {
  await server?.stop();
});

test.serial('without the CA, Vault over TLS is refused as unverified', async (t) => {
  const error = await t.throwsAsync(sealStatus(address), { instanceOf: VaultHttpError });
  t.is(error.status, 0);
  t.regex(error.message, /UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
});

test.serial('with VAULT_CACERT trusted, the unsealer initializes, unseals and logs in over verified TLS', async (t) => {
  trustVaultCa(readFileSync(pki.caCert, 'utf8'));
  let root = '';
  const status = await initializeAndUnseal(address, {
    shares: 3,
    threshold: 2,
    keys: async () => undefined,
    store: async (init) => {
      root = init.rootToken;
    },
  });
  t.false(status.sealed);
  // The kit's client (node-vault over axios) verifies the same CA.
  const vault = await waitFor(
    async () =>
      VaultClient.connect({ endpoint: address, auth: { method: 'token', token: root }, ...trustedVaultCa() }).catch(
        () => undefined,
      ),
    { what: 'a verified login' },
  );
  const self = await vault.request<{ policies: string[] }>('GET', '/auth/token/lookup-self');
  t.deepEqual(self.data?.policies, ['root']);
  vault.close();
});
