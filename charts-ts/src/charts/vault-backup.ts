import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { snapshotConfiguration, SNAPSHOT_POLICY_NAME } from '@cf/vault-unsealer/backup/policy';
import { containerSecurity, podSecurity, resources, APP_UID, vaultTokenVolume } from '../lib/workload.ts';
import { imageOf, labels, ns, unsealer, vault } from '../platform.ts';
import type { Profile } from '../profile.ts';

/** Where snapshots go: a PersistentVolumeClaim (dev) or S3-compatible object storage (prod). */
export type VaultBackupStorage =
  | { kind: 'pvc'; size: string; storageClassName?: string }
  | {
      kind: 's3';
      bucket: string;
      /** Omit for AWS; e.g. `https://minio.example.com` for S3-compatible servers. */
      endpoint?: string;
      region?: string;
      prefix?: string;
      /** Secret with `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (the AWS SDK's standard variables). */
      credentialsSecret: string;
    };

export interface VaultBackupProps {
  /** Hours between snapshots (1–24). Dev: 24, prod: 1. */
  everyHours: number;
  /** Snapshots kept. Dev: 3, prod: 48. */
  keep: number;
  storage: VaultBackupStorage;
  /** Where the vault-unsealer image (it carries the snapshot CLI) comes from: the profile's `images`. */
  images: Profile['images'];
  /** Prometheus Pushgateway the job pushes `vault_backup_*` metrics to, when there is one. */
  pushgateway?: string;
}

export const VAULT_BACKUP_NAME = 'vault-backup';
const TOKEN_DIR = '/var/run/secrets/vault.content-factory.dev/serviceaccount';

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
    kubeStateMetrics: `time() - max(kube_cronjob_status_last_successful_time{namespace="${ns.vault}",cronjob="${VAULT_BACKUP_NAME}"}) > ${seconds}`,
  };
}

/**
 * The declarative Vault configuration this backup needs: the `vault-snapshot` policy (read on
 * `sys/storage/raft/snapshot`, nothing else) and the Kubernetes-auth role bound to this CronJob's ServiceAccount.
 * Merge `policies` into the configuration's policies and `role` into `auth.kubernetes.roles`.
 */
export function vaultBackupConfiguration(): ReturnType<typeof snapshotConfiguration> {
  return snapshotConfiguration({ serviceAccount: VAULT_BACKUP_NAME, namespace: ns.vault });
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
      `--address=http://${vault.service}.${namespace}.svc:${vault.apiPort}`,
      `--role=${SNAPSHOT_POLICY_NAME}`,
      `--jwt-file=${TOKEN_DIR}/token`,
      `--keep=${props.keep}`,
      ...(props.pushgateway !== undefined ? [`--pushgateway=${props.pushgateway}`] : []),
    ];
    const volumes: k8s.Volume[] = [vaultTokenVolume('vault')];
    const volumeMounts: k8s.VolumeMount[] = [{ name: 'vault-token', mountPath: TOKEN_DIR, readOnly: true }];
    const envFrom: k8s.EnvFromSource[] = [];
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
      args.push(`--s3-bucket=${s3.bucket}`);
      if (s3.endpoint !== undefined) args.push(`--s3-endpoint=${s3.endpoint}`);
      if (s3.region !== undefined) args.push(`--s3-region=${s3.region}`);
      if (s3.prefix !== undefined) args.push(`--s3-prefix=${s3.prefix}`);
      envFrom.push({ secretRef: { name: s3.credentialsSecret } });
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
            activeDeadlineSeconds: 1800,
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
                    envFrom,
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
