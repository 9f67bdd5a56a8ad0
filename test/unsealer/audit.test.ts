import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditDeviceHcl } from '@cf/vault-unsealer';
import { resolveBinary } from '../support/binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from '../support/process.ts';

let server: ManagedProcess | undefined;

test.after.always(async () => {
  await server?.stop();
});

test('the declared stdout audit device records requests with every secret value HMACed', async (t) => {
  const { path: binary } = await resolveBinary('vault');
  const dir = scratchDir('vault-audit');
  const port = await freePort();
  const address = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'audit.hcl'), auditDeviceHcl());
  const logFile = join(dir, 'vault.log');
  server = spawnManaged(
    binary,
    [
      'server',
      '-dev',
      '-dev-root-token-id=root-audit',
      `-dev-listen-address=127.0.0.1:${port}`,
      `-config=${join(dir, 'audit.hcl')}`,
    ],
    { name: 'vault-audit', logFile, env: { HOME: dir, VAULT_ADDR: address } },
  );
  await waitFor(async () => (await fetch(`${address}/v1/sys/health`).catch(() => undefined))?.status === 200, {
    what: 'dev Vault',
    process: server,
  });
  const secret = `s3cr3t-${Date.now()}`;
  const write = await fetch(`${address}/v1/secret/data/audit-probe`, {
    method: 'POST',
    headers: { 'x-vault-token': 'root-audit' },
    body: JSON.stringify({ data: { password: secret } }),
  });
  t.is(write.status, 200);
  const entries = await waitFor(
    async () => {
      const lines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"'));
      const audit = lines.filter((line) => line.includes('"secret/data/audit-probe"'));
      return audit.length >= 2 ? audit : undefined;
    },
    { what: 'audit entries for the write' },
  );
  t.true(entries.some((line) => line.includes('"type":"request"')));
  t.true(entries.some((line) => line.includes('"type":"response"')));
  t.true(
    entries.some((line) => line.includes('hmac-sha256:')),
    'values are HMACed',
  );
  // The audit records only: a dev server's own start-up banner prints its root token by design.
  const records = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"'))
    .join('\n');
  t.false(records.includes(secret), 'the secret never appears in clear');
  t.false(records.includes('root-audit'), 'nor the token');
});
