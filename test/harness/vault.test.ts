import test from 'ava';
import { VaultClient, VaultPermissionError, VaultUnavailableError } from '@cf/kit';
import { freePort } from '../support/process.ts';
import { startVault, type VaultServer } from '../support/vault.ts';

let dev: VaultServer;
let client: VaultClient;

test.before(async () => {
  dev = await startVault({ mode: 'dev' });
  client = await VaultClient.connect({ endpoint: dev.address, auth: { method: 'token', token: dev.rootToken ?? '' } });
  await client.request('POST', '/sys/mounts/transit', { type: 'transit' });
  await client.request('POST', '/transit/keys/sessions', {});
});

test.after.always(async () => {
  client?.close();
  await dev?.stop();
});

test('KV v2 writes and reads back a secret, with versions', async (t) => {
  const first = await client.kvWrite('secret', 'apps/demo', { apiId: 42, apiHash: 'abc' });
  const second = await client.kvWrite('secret', 'apps/demo', { apiId: 43, apiHash: 'def' });
  t.is(second.version, first.version + 1);
  const read = await client.kvRead<{ apiId: number; apiHash: string }>('secret', 'apps/demo');
  t.deepEqual(read, { data: { apiId: 43, apiHash: 'def' }, version: second.version });
});

test('KV v2 read of a missing secret is undefined, not an error', async (t) => {
  t.is(await client.kvRead('secret', 'apps/absent'), undefined);
});

test('KV v2 check-and-set refuses to overwrite an existing secret', async (t) => {
  await client.kvWrite('secret', 'apps/once', { v: 1 }, { cas: 0 });
  await t.throwsAsync(client.kvWrite('secret', 'apps/once', { v: 2 }, { cas: 0 }), { message: /check-and-set/ });
});

test('transit encrypts and decrypts without the key leaving Vault', async (t) => {
  const ciphertext = await client.transitEncrypt('sessions', 'telegram session bytes');
  t.regex(ciphertext, /^vault:v1:/);
  t.false(ciphertext.includes('telegram'));
  t.is((await client.transitDecrypt('sessions', ciphertext)).toString(), 'telegram session bytes');
});

test('a bad token gets a typed permission error without the token in it', async (t) => {
  const error = await t.throwsAsync(
    VaultClient.connect({ endpoint: dev.address, auth: { method: 'token', token: 'hvs.not-a-real-token' } }),
    { instanceOf: VaultPermissionError },
  );
  t.is(error?.status, 403);
  t.false(JSON.stringify({ ...error, message: error?.message }).includes('not-a-real-token'));
});

test('an unreachable Vault is a typed unavailable error within the timeout', async (t) => {
  const port = await freePort();
  const started = Date.now();
  await t.throwsAsync(
    VaultClient.connect({
      endpoint: `http://127.0.0.1:${port}`,
      auth: { method: 'token', token: 'x' },
      timeoutMs: 500,
    }),
    { instanceOf: VaultUnavailableError },
  );
  t.true(Date.now() - started < 5000);
});

test('a short-lived token is renewed before it expires', async (t) => {
  const created = await client.request<never>('POST', '/auth/token/create', {
    ttl: '4s',
    explicit_max_ttl: '1h',
    policies: ['default'],
    no_parent: true,
  });
  const shortLived = await VaultClient.connect({
    endpoint: dev.address,
    auth: { method: 'token', token: created.auth?.client_token ?? '' },
  });
  t.teardown(() => shortLived.close());
  await new Promise((resolve) => setTimeout(resolve, 6500));
  // Vault answers lookup-self only for a live token: it would be 403 had the token expired at 4 s.
  const self = await shortLived.request<{ ttl: number; explicit_max_ttl: number }>('GET', '/auth/token/lookup-self');
  t.is(self.data?.explicit_max_ttl, 3600, 'the same token, still alive past its original TTL');
});

test('a server-mode Vault goes from uninitialized to initialized to unsealed', async (t) => {
  const server = await startVault({ mode: 'server' });
  t.teardown(() => server.stop());
  t.like(await server.sealStatus(), { initialized: false, sealed: true });
  const init = await fetch(`${server.address}/v1/sys/init`, {
    method: 'PUT',
    body: JSON.stringify({ secret_shares: 3, secret_threshold: 2 }),
  });
  t.is(init.status, 200);
  const { keys } = (await init.json()) as { keys: string[] };
  t.like(await server.sealStatus(), { initialized: true, sealed: true, t: 2, n: 3 });
  for (const key of keys.slice(0, 2)) {
    await fetch(`${server.address}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key }) });
  }
  const status = await server.sealStatus();
  t.like(status, { initialized: true, sealed: false });
  await server.restart();
  t.like(await server.sealStatus(), { initialized: true, sealed: true }, 'a restarted server comes back sealed');
});
