import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { VaultPermissionError } from '@cf/kit';
import { waitFor } from '../support/process.ts';
import {
  Kubelet,
  leaks,
  sample,
  startVaultPods,
  storedKeys,
  waitUnsealed,
  type TestOperator,
} from '../support/unsealer-cluster.ts';
import type { VaultServer } from '../support/vault.ts';
import {
  bucket,
  bucketKeys,
  cli,
  cluster,
  login,
  logs,
  namespace,
  operatorFor,
  operators,
  plane,
  s3,
  s3Flags,
  secrets,
  servers,
  snapshotToS3,
  startDrill,
  stopDrill,
  token,
  work,
} from './backup-drill.ts';
import { firstConfigurationPass } from './out-of-cluster-vault.ts';

// The restore drill of issue 19 against real OpenBao and the real API server, driving the real CLI:
// data → snapshot (as the snapshot role) → storage destroyed, key Secret lost → keys imported from the
// age-encrypted offline copy → restore into a new 3-node raft cluster → the unsealer unseals and joins it.
// Prod's snapshots go to S3-compatible storage: a real S3 server (versitygw) on 127.0.0.1 holds them here.

const kv = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`entry-${index}`, `value-${index}`]));
const sessionPlaintext = 'telegram session string 1BVtsOK8Bu...';

test.before(startDrill);

test.after.always(stopDrill);

let original: { servers: VaultServer[]; operator: TestOperator };

test.serial('the snapshot role takes snapshots and can read no secret', async (t) => {
  original = await cluster(80);
  await Promise.all(original.servers.map((server) => waitUnsealed(server, 60_000)));
  await firstConfigurationPass(original.operator, 90_000);
  const vault = await login(original.servers[0]!.address, 'vault-snapshot', await token(namespace, 'vault-backup'));
  try {
    await t.throwsAsync(vault.request('GET', '/secret/data/app/entry-0'), { instanceOf: VaultPermissionError });
    await t.throwsAsync(vault.request('POST', '/transit/decrypt/telegram-sessions', { ciphertext: 'vault:v1:AAAA' }), {
      instanceOf: VaultPermissionError,
    });
    await t.throwsAsync(vault.request('GET', '/sys/policies/acl/app'), { instanceOf: VaultPermissionError });
  } finally {
    vault.close();
  }
});

test.serial(
  'snapshots to S3 with keys from Vault keep the newest --keep objects, each verifies from the bucket',
  async (t) => {
    const address = original.servers[0]!.address;
    const operator = await login(address, 'app', await token('cf-apps', 'app'));
    try {
      await operator.request('POST', `/secret/data/vault-backup/object-store`, {
        data: {
          endpoint: s3.endpoint,
          region: s3.region,
          access_key_id: s3.credentials.AWS_ACCESS_KEY_ID,
          secret_access_key: s3.credentials.AWS_SECRET_ACCESS_KEY,
        },
      });
    } finally {
      operator.close();
    }
    const taken = [];
    for (let run = 0; run < 3; run += 1) taken.push(await snapshotToS3(address, 2));
    t.deepEqual(await bucketKeys(), [`vault/${taken[1]!.name}`, `vault/${taken[2]!.name}`]);
    t.deepEqual(taken[2]!.pruned, [taken[0]!.name], 'the third run pruned the first');
    const verified = await cli(['verify', `s3://${bucket}/vault/${taken[1]!.name}`, ...s3Flags()], true);
    t.is(verified.code, 0, verified.stderr);
    t.is((JSON.parse(verified.stdout) as { sha256: string }).sha256, taken[1]!.sha256);
  },
);

test.serial(
  'data, snapshot, storage and key Secret lost, keys imported, restore: data readable, ciphertext decrypts',
  async (t) => {
    const active = original.servers[0]!.address;
    const app = await login(active, 'app', await token('cf-apps', 'app'));
    let ciphertext: string;
    try {
      for (const [key, value] of Object.entries(kv))
        await app.request('POST', `/secret/data/app/${key}`, { data: { value } });
      const encrypted = await app.request<{ ciphertext: string }>('POST', '/transit/encrypt/telegram-sessions', {
        plaintext: Buffer.from(sessionPlaintext).toString('base64'),
      });
      ciphertext = encrypted.data!.ciphertext;
    } finally {
      app.close();
    }

    // Snapshot with the CLI the CronJob runs, as the snapshot role.
    const jwtFile = join(work, 'backup.jwt');
    writeFileSync(jwtFile, await token(namespace, 'vault-backup'));
    const dir = join(work, 'snapshots');
    const snapshot = await cli([
      'snapshot',
      `--address=${active}`,
      `--jwt-file=${jwtFile}`,
      `--dir=${dir}`,
      '--keep=2',
    ]);
    t.is(snapshot.code, 0, snapshot.stderr);
    const taken = JSON.parse(snapshot.stdout) as { name: string; bytes: number; sha256: string };
    t.true(taken.bytes > 1000);
    t.is((await cli(['verify', join(dir, taken.name)])).code, 0);
    // And to S3, as prod does: the restore below reads the bucket's newest snapshot.
    const inBucket = await snapshotToS3(active, 2);

    // The offline key copy, encrypted to an operator's age key.
    const identity = JSON.parse((await cli(['keys', 'new-identity'])).stdout) as {
      identity: string;
      recipient: string;
    };
    const exported = join(work, 'keys.age');
    const exportRun = await cli([
      'keys',
      'export',
      `--namespace=${namespace}`,
      `--recipient=${identity.recipient}`,
      `--out=${exported}`,
    ]);
    t.is(exportRun.code, 0, exportRun.stderr);
    const stored = (await storedKeys(plane.kubeConfig, namespace))!;
    secrets.push(...stored.keys, stored.rootToken);
    t.deepEqual(leaks([readFileSync(exported, 'latin1')], stored.keys), [], 'no share in clear in the export');

    // Disaster: every Vault process and its storage gone, and the key Secret with them.
    await Promise.all(operators.map((operator) => operator.stop()));
    await Promise.all(original.servers.map((server) => server.stop()));
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.deleteNamespacedSecret({ name: 'vault-unseal-keys', namespace });
    const identityFile = join(work, 'operator.key');
    writeFileSync(identityFile, identity.identity);
    const importRun = await cli([
      'keys',
      'import',
      exported,
      `--identity-file=${identityFile}`,
      `--namespace=${namespace}`,
    ]);
    t.is(importRun.code, 0, importRun.stderr);
    t.deepEqual((await storedKeys(plane.kubeConfig, namespace))!.keys, stored.keys);

    // A new 3-node cluster on fresh storage; the restore drill runs against its first node.
    const pods = await startVaultPods(3, 81);
    servers.push(...pods.servers);
    // The drill restarts vault-0 by deleting its pod; the test plays the StatefulSet that brings it back on
    // the same (restored) storage.
    const kubelet = new Kubelet(plane.kubeConfig, namespace);
    const restoring = cli(
      [
        'restore',
        `s3://${bucket}/vault/`,
        ...s3Flags(),
        `--address=${pods.servers[0]!.address}`,
        `--namespace=${namespace}`,
      ],
      true,
    );
    await waitFor(
      async () =>
        core.readNamespacedPod({ name: 'vault-0', namespace }).then(
          () => false,
          () => true,
        ),
      { what: 'the restore to delete pod vault-0', timeoutMs: 120_000 },
    );
    await pods.servers[0]!.restart();
    await kubelet.createPod('vault-0');
    const restore = await restoring;
    t.is(restore.code, 0, restore.stderr);
    t.true(restore.stderr.includes(`vault/${inBucket.name}`), 'the newest snapshot in the bucket was restored');
    const operator = await operatorFor(pods, kubelet);
    await Promise.all(pods.servers.map((server) => waitUnsealed(server, 90_000)));
    t.is(sample(await operator.metrics(), 'vault_unsealer_initializations_total'), 0, 'restored, never re-initialized');
    const restored = await login(pods.servers[0]!.address, 'app', await token('cf-apps', 'app'));
    try {
      for (const [key, value] of Object.entries(kv)) {
        const read = await restored.request<{ data: { value: string } }>('GET', `/secret/data/app/${key}`);
        t.is(read.data!.data.value, value);
      }
      const decrypted = await restored.request<{ plaintext: string }>('POST', '/transit/decrypt/telegram-sessions', {
        ciphertext,
      });
      t.is(Buffer.from(decrypted.data!.plaintext, 'base64').toString('utf8'), sessionPlaintext);
    } finally {
      restored.close();
    }
  },
);

test.serial('a truncated snapshot is refused before the target Vault is touched', async (t) => {
  const dir = join(work, 'snapshots');
  const name = readdirSync(dir).find((file) => file.endsWith('.snap'))!;
  const whole = readFileSync(join(dir, name));
  const truncated = join(work, 'truncated.snap');
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  t.not((await cli(['verify', truncated])).code, 0);
  const pods = await startVaultPods(1, 82);
  servers.push(...pods.servers);
  const restore = await cli([
    'restore',
    truncated,
    `--address=${pods.servers[0]!.address}`,
    `--namespace=${namespace}`,
  ]);
  t.is(restore.code, 1);
  t.regex(restore.stderr, /snapshot refused/);
  t.false((await pods.servers[0]!.sealStatus()).initialized, 'the target was not even initialized');
});

test.serial('an export decrypts only with the operator identity it was encrypted to', async (t) => {
  const other = JSON.parse((await cli(['keys', 'new-identity'])).stdout) as { identity: string };
  const identityFile = join(work, 'other.key');
  writeFileSync(identityFile, other.identity);
  const run = await cli([
    'keys',
    'import',
    join(work, 'keys.age'),
    `--identity-file=${identityFile}`,
    '--namespace=nowhere',
  ]);
  t.is(run.code, 1);
  t.notRegex(run.stderr, /Secret .* created/);
});

test.serial('no key, token or snapshot secret appears in any log line or metric of these runs', async (t) => {
  const haystacks = [...logs.lines];
  for (const operator of operators) haystacks.push(await operator.metrics());
  t.true(secrets.length > 5);
  t.deepEqual(leaks(haystacks, secrets), []);
});
