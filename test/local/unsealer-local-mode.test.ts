// vault-unsealer's local mode against a real server-mode Vault (OpenBao): the failure list of FACTS.md's unsealer
// section (double init, keys and data drifting apart, keys in output) for the one-machine case.
import test from 'ava';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultClient } from '@cf/kit';
import { sealStatus } from '@cf/vault-unsealer/vault-http';
import {
  initializeOrUnseal,
  issueServiceTokens,
  LocalKeyFile,
  localConfiguration,
} from '@cf/vault-unsealer/local/index';
import { vaultConfiguration } from '@cf/charts/vault-config';
import { scratchDir } from '../support/process.ts';
import { startVault } from '../support/vault.ts';

test('initializes once into a 0600 key file, unseals with it after a restart, and prints no key', async (t) => {
  const vault = await startVault({ mode: 'server' });
  t.teardown(() => vault.stop());
  const keyFile = new LocalKeyFile(join(scratchDir('local-unseal'), 'vault-keys.json'));
  const lines: string[] = [];
  const first = await initializeOrUnseal({ address: vault.address, keyFile, progress: (line) => lines.push(line) });
  t.true(first.initialized);
  t.is(statSync(keyFile.path).mode & 0o777, 0o600);
  await vault.restart();
  t.true((await vault.sealStatus()).sealed, 'a restarted server comes back sealed');
  const second = await initializeOrUnseal({ address: vault.address, keyFile, progress: (line) => lines.push(line) });
  t.false(second.initialized);
  t.false((await vault.sealStatus()).sealed);
  const stored = keyFile.read()!;
  t.is(stored.rootToken, second.rootToken);
  for (const secret of [...stored.keys, String(stored.rootToken)]) t.false(lines.join('\n').includes(secret));
});

test('an empty Vault is not initialized over the keys of an earlier initialization', async (t) => {
  const vault = await startVault({ mode: 'server' });
  t.teardown(() => vault.stop());
  const keyFile = new LocalKeyFile(join(scratchDir('local-unseal'), 'vault-keys.json'));
  keyFile.create({ keys: ['a', 'b', 'c'], threshold: 2, rootToken: 'earlier' });
  const error = await t.throwsAsync(initializeOrUnseal({ address: vault.address, keyFile }));
  t.regex(error.message, /holds keys of an earlier initialization; not initializing over them/);
  t.false((await sealStatus(vault.address)).initialized, 'Vault was left alone');
  t.deepEqual(keyFile.read()?.keys, ['a', 'b', 'c'], 'the key file was left alone');
});

test('the key file is create-only: a second create never overwrites it', (t) => {
  const keyFile = new LocalKeyFile(join(scratchDir('local-unseal'), 'vault-keys.json'));
  keyFile.create({ keys: ['first'], threshold: 1, rootToken: 'one' });
  t.throws(() => keyFile.create({ keys: ['second'], threshold: 1, rootToken: 'two' }), { code: 'EEXIST' });
  t.deepEqual(keyFile.read()?.keys, ['first']);
});

test('a key file readable by other users is refused with the chmod to run', (t) => {
  const path = join(scratchDir('local-unseal'), 'vault-keys.json');
  writeFileSync(path, JSON.stringify({ keys: ['k'], threshold: 1, rootToken: 'r' }));
  chmodSync(path, 0o644);
  t.throws(() => new LocalKeyFile(path).read(), {
    message: `${path} is readable by other users; run: chmod 600 ${path}`,
  });
});

test('keys Vault rejects stop the start with the file named and no key in the message', async (t) => {
  const vault = await startVault({ mode: 'server' });
  t.teardown(() => vault.stop());
  const dir = scratchDir('local-unseal');
  const right = new LocalKeyFile(join(dir, 'vault-keys.json'));
  await initializeOrUnseal({ address: vault.address, keyFile: right });
  await vault.restart();
  // Same shape, other bytes: what a key file from another Vault looks like.
  const stored = JSON.parse(readFileSync(right.path, 'utf8')) as { keys: string[]; threshold: number };
  const wrongKeys = stored.keys.map((key, index) =>
    Buffer.alloc(Buffer.from(key, 'hex').length, index + 7).toString('hex'),
  );
  const wrong = new LocalKeyFile(join(dir, 'other-keys.json'));
  wrong.create({ keys: wrongKeys, threshold: stored.threshold, rootToken: 'x' });
  const error = await t.throwsAsync(initializeOrUnseal({ address: vault.address, keyFile: wrong }));
  t.regex(error.message, /rejected the unseal keys in .*other-keys\.json/);
  for (const key of wrongKeys) t.false(error.message.includes(key));
  t.true((await vault.sealStatus()).sealed);
});

test("the local configuration is the cluster's, with the database engine on the local PostgreSQL and no Kubernetes auth", (t) => {
  const cluster = vaultConfiguration();
  const local = localConfiguration(cluster, { host: '127.0.0.1', port: 15432, username: 'postgres', password: 'p' });
  t.is(local.auth.kubernetes, undefined);
  t.deepEqual(local.policies, cluster.policies);
  const engines = (config: typeof local) => config.secretEngines.map((engine) => `${engine.type}:${engine.path}`);
  t.deepEqual(engines(local), engines(cluster));
  const database = local.secretEngines.find((engine) => engine.type === 'database');
  t.true(database !== undefined && database.connections.length > 0);
  for (const connection of database?.type === 'database' ? database.connections : []) {
    t.regex(
      connection.connectionUrl,
      /^postgresql:\/\/\{\{username\}\}:\{\{password\}\}@127\.0\.0\.1:15432\/\w+\?sslmode=disable$/,
    );
  }
});

test("each service's token carries exactly that service's policy (and Vault's default)", async (t) => {
  const vault = await startVault({ mode: 'dev' });
  t.teardown(() => vault.stop());
  const admin = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'token', token: vault.rootToken! },
  });
  t.teardown(() => admin.close());
  const tokens = await issueServiceTokens(admin, ['user-service', 'integration-service']);
  for (const [service, token] of tokens) {
    const client = await VaultClient.connect({ endpoint: vault.address, auth: { method: 'token', token } });
    const self = await client.request<{ policies: string[]; orphan: boolean; period: number }>(
      'GET',
      '/auth/token/lookup-self',
    );
    client.close();
    t.deepEqual([...(self.data?.policies ?? [])].sort(), ['default', service].sort());
    t.true(self.data?.orphan);
    t.is(self.data?.period, 3600);
  }
});
