import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CoreV1Api } from '@kubernetes/client-node';
import { VaultClient } from '@cf/kit';
import type { VaultConfigurationInput } from '@cf/vault-unsealer';
import { snapshotConfiguration } from '@cf/vault-unsealer/backup/policy';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { scratchDir } from '../support/process.ts';
import { startS3Server, type S3Server } from '../support/s3.ts';
import {
  createNamespace,
  Kubelet,
  LogCapture,
  serviceAccountToken,
  startVaultPods,
  type TestOperator,
} from '../support/unsealer-cluster.ts';
import type { VaultServer } from '../support/vault.ts';
import { outOfClusterKubernetesAuth, startConfiguringOperator, storeReviewerToken } from './out-of-cluster-vault.ts';

// What the restore drill (backup.test.ts) runs on: an API server, a real S3 server (versitygw) for the
// snapshots, Vault pods the drill starts and the operators for them, and the unsealer's CLI as an operator or
// the snapshot CronJob runs it. `plane` and `s3` are set by `startDrill` (the file's before hook); what every
// step leaves behind (servers, operators, secrets that no log may show) is collected here and stopped by
// `stopDrill`.

export const namespace = 'cf-vault';
const CLI = resolve('operators/vault-unsealer/src/cli.ts');
export let plane: ControlPlane;
export const logs = new LogCapture();
export const servers: VaultServer[] = [];
export const operators: TestOperator[] = [];
export const secrets: string[] = [];
export const work = scratchDir('vault-backup');
let configFile: string;
export let s3: S3Server;
export const bucket = 'cf-vault-snapshots';
const objectStoreSecret = 'secret/vault-backup/object-store';

// The app role also plays the operator who writes the object store's keys into Vault once.
const appPolicy = `path "secret/data/app/*" { capabilities = ["create", "update", "read"] }
path "secret/data/vault-backup/object-store" { capabilities = ["create", "update"] }
path "secret/data/*" { capabilities = ["read"] }
path "transit/encrypt/telegram-sessions" { capabilities = ["update"] }
path "transit/decrypt/telegram-sessions" { capabilities = ["update"] }
`;

function configuration(): VaultConfigurationInput {
  const snapshot = snapshotConfiguration({ serviceAccount: 'vault-backup', namespace, objectStoreSecret });
  return {
    secretEngines: [
      { type: 'kv-v2', path: 'secret' },
      { type: 'transit', path: 'transit', keys: [{ name: 'telegram-sessions' }] },
    ],
    auth: {
      kubernetes: outOfClusterKubernetesAuth(plane, [
        { name: 'app', serviceAccounts: ['app'], namespaces: ['cf-apps'], policies: ['app'] },
        snapshot.role,
      ]),
    },
    policies: [{ name: 'app', rules: appPolicy }, ...snapshot.policies],
  };
}

/**
 * Runs the CLI. `withS3Keys`: the object store's keys in the environment, as an operator at a workstation has
 * them; the snapshot job has none there and reads them from Vault.
 */
export async function cli(
  args: string[],
  withS3Keys = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      env: { ...process.env, KUBECONFIG: plane.kubeconfigPath, ...(withS3Keys ? s3.credentials : {}) },
      timeout: 180_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

export async function token(serviceAccountNamespace: string, name: string): Promise<string> {
  const value = await serviceAccountToken(plane.kubeConfig, serviceAccountNamespace, name);
  secrets.push(value);
  return value;
}

export function login(address: string, role: string, jwt: string): Promise<VaultClient> {
  return VaultClient.connect({ endpoint: address, auth: { method: 'kubernetes', role, jwt: async () => jwt } });
}

/** Three Vault pods on a fresh subnet (fresh storage), reported Running, with an operator for them. */
export async function cluster(subnet: number): Promise<{ servers: VaultServer[]; operator: TestOperator }> {
  const pods = await startVaultPods(3, subnet);
  servers.push(...pods.servers);
  const operator = await operatorFor(pods, new Kubelet(plane.kubeConfig, namespace));
  return { servers: pods.servers, operator };
}

/**
 * An operator for the three `pods` (the drill's configuration, a 1 s resync, its own service-account token),
 * stopped by `stopDrill`; then `kubelet` reports the pods Running, which is when the operator acts on them.
 */
export async function operatorFor(
  pods: Awaited<ReturnType<typeof startVaultPods>>,
  kubelet: Kubelet,
): Promise<TestOperator> {
  const operator = startConfiguringOperator({ plane, namespace, pods, logs, configFile, secrets });
  operators.push(operator);
  await Promise.all([0, 1, 2].map((index) => kubelet.markRunning(`vault-${index}`, pods.ip(index))));
  return operator;
}

/** The file's before hook: S3 and its bucket, the API server, namespaces, ServiceAccounts, the configuration. */
export async function startDrill(): Promise<void> {
  s3 = await startS3Server();
  await s3.createBucket(bucket);
  secrets.push(s3.credentials.AWS_SECRET_ACCESS_KEY);
  plane = await startControlPlane();
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  await createNamespace(plane.kubeConfig, namespace);
  await core.createNamespace({ body: { metadata: { name: 'cf-apps' } } });
  await core.createNamespacedServiceAccount({ namespace: 'cf-apps', body: { metadata: { name: 'app' } } });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'vault-backup' } } });
  secrets.push(await storeReviewerToken(plane, namespace));
  configFile = join(work, 'vault-config.json');
  writeFileSync(configFile, JSON.stringify(configuration()));
  const kubelet = new Kubelet(plane.kubeConfig, namespace);
  for (let index = 0; index < 3; index += 1) await kubelet.createPod(`vault-${index}`);
}

/** The file's after hook: every operator, Vault, the API server and S3. */
export async function stopDrill(): Promise<void> {
  await Promise.allSettled(operators.map((operator) => operator.stop()));
  await Promise.allSettled(servers.map((server) => server.stop()));
  await plane?.stop();
  await s3?.stop();
}

/** The CLI's S3 flags for the test's server, for an operator's verify and restore. */
export const s3Flags = (): string[] => [
  `--s3-bucket=${bucket}`,
  `--s3-endpoint=${s3.endpoint}`,
  `--s3-region=${s3.region}`,
];

/** As the prod CronJob: endpoint and keys from Vault (`--s3-from-vault`), the bucket from its flag. */
export async function snapshotToS3(
  address: string,
  keep: number,
): Promise<{ name: string; sha256: string; pruned: string[] }> {
  const jwtFile = join(work, 'backup-s3.jwt');
  writeFileSync(jwtFile, await token(namespace, 'vault-backup'));
  const run = await cli([
    'snapshot',
    `--address=${address}`,
    `--jwt-file=${jwtFile}`,
    `--s3-from-vault=${objectStoreSecret}`,
    `--s3-bucket=${bucket}`,
    `--keep=${keep}`,
  ]);
  if (run.code !== 0) throw new Error(`snapshot to S3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { name: string; sha256: string; pruned: string[] };
}

export async function bucketKeys(): Promise<string[]> {
  const client = s3.client();
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((item) => item.Key!).sort();
  } finally {
    client.destroy();
  }
}
