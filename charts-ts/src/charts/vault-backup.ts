import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { snapshotConfiguration, SNAPSHOT_POLICY_NAME } from '@cf/vault-unsealer/backup/policy';
import { caBundleVolume } from '../lib/certificates.ts';
import { containerSecurity, podSecurity, resources, APP_UID, vaultTokenVolume } from '../lib/workload.ts';
import { imageOf, internalCa, labels, ns, unsealer, vault } from '../platform.ts';
import type { Profile } from '../profile.ts';

/**
 * Where snapshots go: a PersistentVolumeClaim (dev) or S3-compatible object storage (prod), whose access keys
 * (and, if set there, endpoint, region, bucket) the job reads from Vault at `VAULT_BACKUP_OBJECT_STORE_SECRET`.
 */
export type VaultBackupStorage =
  | { kind: 'pvc'; size: string; storageClassName?: string }
  | {
      kind: 's3';
      bucket: string;
      /** Omit for AWS; e.g. `https://minio.example.com` for S3-compatible servers. */
      endpoint?: string;
      region?: string;
      prefix?: string;
      /** Where the object store answers (HTTPS 443), for the job's egress policy. */
      objectStore: { cidr: string; except: string[] };
    };

/** What a profile decides about Vault snapshots. */
export interface VaultBackupSchedule {
  /** Hours between snapshots (1–24). Dev: 24, prod: 1. */
  everyHours: number;
  /** Snapshots kept. Dev: 3, prod: 48. */
  keep: number;
  storage: VaultBackupStorage;
}

export interface VaultBackupProps extends VaultBackupSchedule {
  /** Where the vault-unsealer image (it carries the snapshot CLI) comes from: the profile's `images`. */
  images: Profile['images'];
  /** Prometheus Pushgateway the job pushes `vault_backup_*` metrics to, when there is one. */
  pushgateway?: string;
}

export const VAULT_BACKUP_NAME = 'vault-backup';
/**
 * KV v2 secret (mount `secret`) with the object store's `access_key_id`, `secret_access_key` and optionally
 * `endpoint`, `region`, `bucket`, `prefix` (operators/vault-unsealer/src/backup/object-store-secret.ts). An
 * operator writes it once; the snapshot role may read it and no other KV path.
 */
export const VAULT_BACKUP_OBJECT_STORE_SECRET = 'secret/vault-backup/object-store';
/** A snapshot run that has not finished in 30 minutes is stopped and counts as failed. */
const ACTIVE_DEADLINE_SECONDS = 1800;
const TOKEN_DIR = '/var/run/secrets/vault.content-factory.dev/serviceaccount';
/** The active node only (a standby would forward the snapshot request): its certificate names this Service. */
export const VAULT_BACKUP_ADDRESS = `https://${vault.activeService}.${ns.vault}.svc:${vault.apiPort}`;

/** Every N hours on the hour for N < 24 (cron `0 *\/N * * *`), daily at 03:00 for 24. */
export function backupSchedule(everyHours: number): string {
  if (!Number.isInteger(everyHours) || everyHours < 1 || everyHours > 24) {
    throw new Error(`everyHours must be an integer 1..24, not ${everyHours}`);
  }
  return everyHours === 24 ? '0 3 * * *' : `0 */${everyHours} * * *`;
}

/**
 * The PromQL of "the last good snapshot is older than 2× the schedule" (issue 19), for the observability rules.
 * Primary: the job's own gauge (pushed to the Pushgateway). Without a Pushgateway use the kube-state-metrics
 * form: a Job of this CronJob succeeds only after its snapshot was verified and stored.
 */
export function backupAlertExpressions(everyHours: number): { pushgateway: string; kubeStateMetrics: string } {
  const seconds = 2 * everyHours * 3600;
  return {
    pushgateway: `time() - max(vault_backup_last_success_timestamp_seconds{job="${VAULT_BACKUP_NAME}"}) > ${seconds} or absent(vault_backup_last_success_timestamp_seconds{job="${VAULT_BACKUP_NAME}"})`,
    // A CronJob that never succeeded has no last-successful series: it counts from its creation instead.
    kubeStateMetrics:
      `time() - max(kube_cronjob_status_last_successful_time{namespace="${ns.vault}",cronjob="${VAULT_BACKUP_NAME}"}) > ${seconds}` +
      ` or (absent(kube_cronjob_status_last_successful_time{namespace="${ns.vault}",cronjob="${VAULT_BACKUP_NAME}"})` +
      ` and on() time() - max(kube_cronjob_created{namespace="${ns.vault}",cronjob="${VAULT_BACKUP_NAME}"}) > ${seconds})`,
  };
}

/** One Prometheus alerting rule (the rule-file format of prometheus.io/docs/prometheus/latest/configuration/alerting_rules). */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The rule group of Vault backups, for the observability chart's Prometheus rules: `VaultBackupTooOld` when the
 * last good snapshot is older than 2× the schedule (issue 19), and `VaultBackupFailed` when the last run of the
 * CronJob failed. `source` picks the metrics: the job's own gauges on a Pushgateway, or kube-state-metrics'
 * CronJob/Job series (the default: nothing to push to).
 */
export function vaultBackupAlertRules(
  schedule: Pick<VaultBackupSchedule, 'everyHours'>,
  source: 'pushgateway' | 'kube-state-metrics' = 'kube-state-metrics',
): { name: string; rules: AlertRule[] } {
  const expressions = backupAlertExpressions(schedule.everyHours);
  const failed =
    source === 'pushgateway'
      ? `max(vault_backup_last_failure_timestamp_seconds{job="${VAULT_BACKUP_NAME}"}) > max(vault_backup_last_success_timestamp_seconds{job="${VAULT_BACKUP_NAME}"})`
      : // The newest scheduled run has not succeeded within its activeDeadlineSeconds (a run may take that long).
        `max(kube_cronjob_status_last_schedule_time{namespace="${ns.vault}",cronjob="${VAULT_BACKUP_NAME}"}) - max(kube_cronjob_status_last_successful_time{namespace="${ns.vault}",cronjob="${VAULT_BACKUP_NAME}"}) > ${ACTIVE_DEADLINE_SECONDS}`;
  return {
    name: 'vault-backup',
    rules: [
      {
        alert: 'VaultBackupTooOld',
        expr: source === 'pushgateway' ? expressions.pushgateway : expressions.kubeStateMetrics,
        for: '10m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'No verified Vault snapshot for more than twice the backup schedule',
          description: `The last good raft snapshot is older than ${2 * schedule.everyHours} h; see the vault-unsealer README's backup runbook.`,
        },
      },
      {
        alert: 'VaultBackupFailed',
        expr: failed,
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'A Vault snapshot run failed',
          description: `The newest run of CronJob ${VAULT_BACKUP_NAME} did not succeed; its Job's log tells why (nothing unverified is stored).`,
        },
      },
    ],
  };
}

/**
 * The declarative Vault configuration this backup needs: the `vault-snapshot` policy (read on
 * `sys/storage/raft/snapshot` and on the object-store secret, nothing else) and the Kubernetes-auth role bound to this CronJob's ServiceAccount.
 * Merge `policies` into the configuration's policies and `role` into `auth.kubernetes.roles`.
 */
export function vaultBackupConfiguration(): ReturnType<typeof snapshotConfiguration> {
  return snapshotConfiguration({
    serviceAccount: VAULT_BACKUP_NAME,
    namespace: ns.vault,
    objectStoreSecret: VAULT_BACKUP_OBJECT_STORE_SECRET,
  });
}

/**
 * A CronJob that runs `node operators/vault-unsealer/src/cli.ts snapshot` from the vault-unsealer image: logs
 * in with role `vault-snapshot` (projected token, audience `vault`; no root token), takes, verifies and stores
 * a raft snapshot, keeps `keep`. One run at a time (`concurrencyPolicy: Forbid`), a run that cannot start within
 * 10 minutes is skipped and counted missed, failed runs are kept for inspection.
 */
export class VaultBackup extends Construct {
  constructor(scope: Construct, id: string, props: VaultBackupProps) {
    super(scope, id);
    const namespace = ns.vault;
    const backupLabels = labels(VAULT_BACKUP_NAME, 'backup');
    new k8s.KubeServiceAccount(this, 'sa', {
      metadata: { name: VAULT_BACKUP_NAME, namespace, labels: backupLabels },
      automountServiceAccountToken: false,
    });
    const args = [
      'operators/vault-unsealer/src/cli.ts',
      'snapshot',
      `--address=${VAULT_BACKUP_ADDRESS}`,
      `--role=${SNAPSHOT_POLICY_NAME}`,
      `--jwt-file=${TOKEN_DIR}/token`,
      `--keep=${props.keep}`,
      ...(props.pushgateway !== undefined ? [`--pushgateway=${props.pushgateway}`] : []),
    ];
    const volumes: k8s.Volume[] = [
      vaultTokenVolume(vault.audience),
      // Vault's certificate Secret, of which only the issuing CA's `ca.crt` is mounted: the CLI's VAULT_CACERT.
      caBundleVolume('internal-ca', vault.tlsSecret),
    ];
    const volumeMounts: k8s.VolumeMount[] = [
      { name: 'vault-token', mountPath: TOKEN_DIR, readOnly: true },
      { name: 'internal-ca', mountPath: internalCa.mountDir, readOnly: true },
    ];
    if (props.storage.kind === 'pvc') {
      new k8s.KubePersistentVolumeClaim(this, 'pvc', {
        metadata: { name: VAULT_BACKUP_NAME, namespace, labels: backupLabels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(props.storage.size) } },
          ...(props.storage.storageClassName !== undefined ? { storageClassName: props.storage.storageClassName } : {}),
        },
      });
      volumes.push({ name: 'snapshots', persistentVolumeClaim: { claimName: VAULT_BACKUP_NAME } });
      volumeMounts.push({ name: 'snapshots', mountPath: '/snapshots' });
      args.push('--dir=/snapshots');
    } else {
      const s3 = props.storage;
      args.push(`--s3-from-vault=${VAULT_BACKUP_OBJECT_STORE_SECRET}`, `--s3-bucket=${s3.bucket}`);
      if (s3.endpoint !== undefined) args.push(`--s3-endpoint=${s3.endpoint}`);
      if (s3.region !== undefined) args.push(`--s3-region=${s3.region}`);
      if (s3.prefix !== undefined) args.push(`--s3-prefix=${s3.prefix}`);
    }
    new k8s.KubeCronJob(this, 'cronjob', {
      metadata: { name: VAULT_BACKUP_NAME, namespace, labels: backupLabels },
      spec: {
        schedule: backupSchedule(props.everyHours),
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: ACTIVE_DEADLINE_SECONDS,
            template: {
              metadata: { labels: backupLabels },
              spec: {
                serviceAccountName: VAULT_BACKUP_NAME,
                automountServiceAccountToken: false, // it talks to Vault only, never to the API server
                restartPolicy: 'Never',
                securityContext: podSecurity(APP_UID),
                volumes,
                containers: [
                  {
                    name: 'snapshot',
                    image: imageOf(unsealer.name, props.images),
                    imagePullPolicy: 'IfNotPresent',
                    command: ['node'],
                    args,
                    env: [{ name: 'VAULT_CACERT', value: `${internalCa.mountDir}/${internalCa.file}` }],
                    volumeMounts,
                    securityContext: containerSecurity(APP_UID, true),
                    resources: resources({
                      requests: { cpu: '50m', memory: '128Mi' },
                      limits: { cpu: '500m', memory: '512Mi' },
                    }),
                  },
                ],
              },
            },
          },
        },
      },
    });
  }
}
