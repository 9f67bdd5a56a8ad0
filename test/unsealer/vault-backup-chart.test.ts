import test from 'ava';
import { App, Chart } from 'cdk8s';
import {
  backupAlertExpressions,
  backupSchedule,
  vaultBackupAlertRules,
  vaultBackupConfiguration,
  VaultBackup,
} from '../../charts-ts/src/charts/vault-backup.ts';
import { dev } from '../../charts-ts/src/profile.ts';
import { vaultConfiguration } from '../../charts-ts/src/vault-config.ts';
import { both, find, workloads } from '../charts/objects.ts';

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

function synth(props: ConstructorParameters<typeof VaultBackup>[2]): Manifest[] {
  const app = new App();
  const chart = new Chart(app, 'backup');
  new VaultBackup(chart, 'vault-backup', props);
  return chart.toJson() as Manifest[];
}

test('dev: a daily CronJob runs the snapshot CLI as its own ServiceAccount onto a PVC', (t) => {
  const objects = synth({ everyHours: 24, keep: 3, storage: { kind: 'pvc', size: '1Gi' }, images: dev.images });
  t.deepEqual(objects.map((object) => object.kind).sort(), ['CronJob', 'PersistentVolumeClaim', 'ServiceAccount']);
  const cronJob = objects.find((object) => object.kind === 'CronJob')!;
  const spec = cronJob.spec as {
    schedule: string;
    concurrencyPolicy: string;
    jobTemplate: { spec: { template: { spec: { serviceAccountName: string; containers: { args: string[] }[] } } } };
  };
  t.is(spec.schedule, '0 3 * * *');
  t.is(spec.concurrencyPolicy, 'Forbid');
  const pod = spec.jobTemplate.spec.template.spec;
  t.is(pod.serviceAccountName, 'vault-backup');
  t.deepEqual(pod.containers[0]!.args.slice(0, 2), ['operators/vault-unsealer/src/cli.ts', 'snapshot']);
  t.true(pod.containers[0]!.args.includes('--role=vault-snapshot'));
  t.true(pod.containers[0]!.args.includes('--dir=/snapshots'));
  t.true(pod.containers[0]!.args.includes('--keep=3'));
});

test('prod: S3 storage takes its endpoint and keys from Vault and no PVC is made', (t) => {
  const objects = synth({
    everyHours: 1,
    keep: 48,
    storage: {
      kind: 's3',
      bucket: 'cf-vault-snapshots',
      objectStore: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] },
    },
    images: { ...dev.images, tag: '0.1.0' },
  });
  t.false(objects.some((object) => object.kind === 'PersistentVolumeClaim'));
  const text = JSON.stringify(objects);
  t.true(text.includes('--s3-bucket=cf-vault-snapshots'));
  t.true(text.includes('--s3-from-vault=secret/vault-backup/object-store'));
  t.false(text.includes('secretRef'), 'no Kubernetes Secret holds the object store keys');
  t.is(backupSchedule(1), '0 */1 * * *');
});

test('the alert fires when the last good snapshot is older than twice the schedule', (t) => {
  const { pushgateway, kubeStateMetrics } = backupAlertExpressions(24);
  t.regex(pushgateway, /time\(\) - max\(vault_backup_last_success_timestamp_seconds\{job="vault-backup"\}\) > 172800/);
  t.regex(
    kubeStateMetrics,
    /kube_cronjob_status_last_successful_time\{namespace="cf-vault",cronjob="vault-backup"\}\) > 172800/,
  );
});

test('the snapshot role is limited to reading sys/storage/raft/snapshot and the object-store secret', (t) => {
  const { policies, role } = vaultBackupConfiguration();
  t.deepEqual(
    policies[0]!.rules.split('\n').filter((line) => line.startsWith('path')),
    [
      'path "sys/storage/raft/snapshot" { capabilities = ["read"] }',
      'path "secret/data/vault-backup/object-store" { capabilities = ["read"] }',
    ],
  );
  t.deepEqual(role.serviceAccounts, ['vault-backup']);
  t.deepEqual(role.namespaces, ['cf-vault']);
});

for (const { profile, all } of both) {
  test(`${profile.name}: the Vault chart runs the snapshot CronJob with the profile's schedule, retention and storage`, (t) => {
    const { everyHours, keep, storage } = profile.vault.backup;
    const cronJob = find(all, 'CronJob', 'vault-backup', 'cf-vault');
    t.is((cronJob['spec'] as { schedule: string }).schedule, backupSchedule(everyHours));
    const [job] = workloads([cronJob]);
    const args = job!.pod.containers[0]!.args ?? [];
    t.true(args.includes(`--keep=${keep}`));
    t.true(args.includes('--address=https://vault-active.cf-vault.svc:8200'));
    t.is(args.includes('--dir=/snapshots'), storage.kind === 'pvc');
    t.is(
      all.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'vault-backup'),
      storage.kind === 'pvc',
    );
    if (storage.kind === 's3') t.true(args.includes(`--s3-bucket=${storage.bucket}`));
    t.false(job!.pod.automountServiceAccountToken, 'it never talks to the API server');
  });

  test(`${profile.name}: NetworkPolicies let the snapshot job reach Vault${profile.name === 'prod' ? ' and the object store' : ''}`, (t) => {
    const egress = all
      .filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('vault-backup-'))
      .map((o) => o.metadata.name)
      .sort();
    t.deepEqual(
      egress,
      profile.name === 'prod'
        ? ['vault-backup-to-object-store-egress', 'vault-backup-to-vault-egress', 'vault-backup-to-vault-ingress']
        : ['vault-backup-to-vault-egress', 'vault-backup-to-vault-ingress'],
    );
  });
}

test("the declared Vault configuration has the snapshot role, bound to the CronJob's ServiceAccount with audience vault", (t) => {
  const config = vaultConfiguration();
  const role = config.auth.kubernetes!.roles.find((r) => r.name === 'vault-snapshot')!;
  t.deepEqual(role.serviceAccounts, ['vault-backup']);
  t.deepEqual(role.namespaces, ['cf-vault']);
  t.deepEqual(role.policies, ['vault-snapshot']);
  t.is(role.audience, 'vault');
  t.truthy(config.policies.find((p) => p.name === 'vault-snapshot'));
});

test('the alert rules name the CronJob and the threshold of twice the schedule, for each metric source', (t) => {
  for (const source of ['kube-state-metrics', 'pushgateway'] as const) {
    const group = vaultBackupAlertRules({ everyHours: 1 }, source);
    t.deepEqual(
      group.rules.map((rule) => rule.alert),
      ['VaultBackupTooOld', 'VaultBackupFailed'],
    );
    t.regex(group.rules[0]!.expr, /> 7200/);
    for (const rule of group.rules) t.regex(rule.expr, /vault-backup/);
  }
});
