import test from 'ava';
import { App, Chart } from 'cdk8s';
import {
  backupAlertExpressions,
  backupSchedule,
  vaultBackupConfiguration,
  VaultBackup,
} from '../../charts-ts/src/charts/vault-backup.ts';
import { dev } from '../../charts-ts/src/profile.ts';

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

test('prod: S3 storage takes its credentials from a Secret and no PVC is made', (t) => {
  const objects = synth({
    everyHours: 1,
    keep: 48,
    storage: { kind: 's3', bucket: 'cf-vault-snapshots', credentialsSecret: 'vault-backup-s3' },
    images: { ...dev.images, tag: '0.1.0' },
  });
  t.false(objects.some((object) => object.kind === 'PersistentVolumeClaim'));
  const text = JSON.stringify(objects);
  t.true(text.includes('--s3-bucket=cf-vault-snapshots'));
  t.true(text.includes('"secretRef":{"name":"vault-backup-s3"}'));
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

test('the snapshot role is limited to reading sys/storage/raft/snapshot', (t) => {
  const { policies, role } = vaultBackupConfiguration();
  t.deepEqual(
    policies[0]!.rules.split('\n').filter((line) => line.startsWith('path')),
    ['path "sys/storage/raft/snapshot" { capabilities = ["read"] }'],
  );
  t.deepEqual(role.serviceAccounts, ['vault-backup']);
  t.deepEqual(role.namespaces, ['cf-vault']);
});
