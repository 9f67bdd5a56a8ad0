/**
 * `promtool test rules` cases: for every alert, at least one case where it fires and one where it stays
 * silent (promtool's unit-test format, prometheus docs "Unit testing for rules"). Series use a 1 m interval.
 */

export interface AlertCase {
  alert: string;
  /** What the case shows, for the test's name. */
  what: string;
  series: Record<string, string>;
  evalTime: string;
  /** Labels of each expected firing alert (severity included); empty when the alert must stay silent. */
  firing: Record<string, string>[];
}

const user = { service: 'user-service', job: 'user-service', namespace: 'cf-apps' };
const lbl = (name: string, labels: Record<string, string>): string =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
const http = (labels: Record<string, string>): string =>
  lbl('http_requests_total', { ...user, route: '/v1/auth/login', method: 'POST', ...labels });
const bucket = (le: string): string =>
  lbl('http_request_duration_seconds_bucket', { ...user, route: '/v1/auth/login', method: 'POST', le });
const vaultPod = { job: 'vault', namespace: 'cf-vault', pod: 'vault-0', instance: '10.244.0.5:8200' };
const unsealerPod = {
  job: 'vault-unsealer',
  namespace: 'cf-vault',
  pod: 'vault-unsealer-0',
  instance: '10.244.0.6:8080',
};
const pgPod = { job: 'cf-postgres', namespace: 'cf-data', pod: 'cf-postgres-1', instance: '10.244.0.7:9187' };
const backupJob = { namespace: 'cf-vault', cronjob: 'vault-backup' };
const integ = { job: 'integration-service', namespace: 'cf-apps', pod: 'integration-service-0' };
/** integration-service's publishing series, labelled as it exports them (publishing/metrics.ts). */
const lateness = (le: string): string =>
  lbl('publishing_send_lateness_seconds_bucket', { ...integ, via: 'account', le });
const attempts = (outcome: string, via = 'account'): string =>
  lbl('publishing_attempts_total', { ...integ, via, outcome });

export const alertCases: AlertCase[] = [
  {
    alert: 'ServiceDown',
    what: 'a target unreachable for 5 minutes',
    series: { [lbl('up', { ...user, pod: 'user-service-0', instance: '10.244.0.3:8080' })]: '0x10' },
    evalTime: '5m',
    firing: [{ severity: 'critical', ...user, pod: 'user-service-0', instance: '10.244.0.3:8080' }],
  },
  {
    alert: 'ServiceDown',
    what: 'every target up',
    series: { [lbl('up', { ...user, pod: 'user-service-0', instance: '10.244.0.3:8080' })]: '1x10' },
    evalTime: '5m',
    firing: [],
  },
  {
    alert: 'HighErrorRate',
    what: 'a third of requests failing pages (fast burn) and tickets (slow burn)',
    series: { [http({ status: '200' })]: '0+60x80', [http({ status: '500' })]: '0+30x80' },
    evalTime: '75m',
    firing: [
      { severity: 'critical', service: 'user-service' },
      { severity: 'warning', service: 'user-service' },
    ],
  },
  {
    alert: 'HighErrorRate',
    what: '1 % of requests failing stays within the 99.5 % SLO burn thresholds',
    series: { [http({ status: '200' })]: '0+99x80', [http({ status: '500' })]: '0+1x80' },
    evalTime: '75m',
    firing: [],
  },
  {
    alert: 'HighLatencyP99',
    what: 'every request between 1 s and 2.5 s',
    series: {
      [bucket('0.1')]: '0+0x30',
      [bucket('1')]: '0+0x30',
      [bucket('2.5')]: '0+60x30',
      [bucket('+Inf')]: '0+60x30',
      [http({ status: '200' })]: '0+60x30',
    },
    evalTime: '20m',
    firing: [{ severity: 'warning', service: 'user-service', route: '/v1/auth/login' }],
  },
  {
    alert: 'HighLatencyP99',
    what: 'every request under 100 ms',
    series: {
      [bucket('0.1')]: '0+60x30',
      [bucket('1')]: '0+60x30',
      [bucket('2.5')]: '0+60x30',
      [bucket('+Inf')]: '0+60x30',
      [http({ status: '200' })]: '0+60x30',
    },
    evalTime: '20m',
    firing: [],
  },
  {
    alert: 'VaultSealed',
    what: 'Vault reports itself sealed',
    series: { [lbl('vault_core_unsealed', vaultPod)]: '0x10' },
    evalTime: '5m',
    firing: [{ severity: 'critical', ...vaultPod }],
  },
  {
    alert: 'VaultSealed',
    what: 'vault-unsealer sees a sealed pod (Vault itself not scraped)',
    series: { [lbl('vault_unsealer_sealed_pods', unsealerPod)]: '1x10' },
    evalTime: '5m',
    firing: [{ severity: 'critical', job: 'vault-unsealer', namespace: 'cf-vault' }],
  },
  {
    alert: 'VaultSealed',
    what: 'Vault unsealed and no sealed pod seen',
    series: {
      [lbl('vault_core_unsealed', vaultPod)]: '1x10',
      [lbl('vault_unsealer_sealed_pods', unsealerPod)]: '0x10',
    },
    evalTime: '5m',
    firing: [],
  },
  {
    alert: 'VaultUnsealerFailing',
    what: 'no successful reconcile since the start',
    series: {
      [lbl('vault_unsealer_last_successful_reconcile_timestamp_seconds', unsealerPod)]: '0x40',
      [lbl('vault_unsealer_reconciles_total', { ...unsealerPod, result: 'error' })]: '0+1x40',
    },
    evalTime: '30m',
    firing: [{ severity: 'critical' }],
  },
  {
    alert: 'VaultUnsealerFailing',
    what: 'reconciles succeed every minute',
    series: {
      [lbl('vault_unsealer_last_successful_reconcile_timestamp_seconds', unsealerPod)]: '0+60x40',
      [lbl('vault_unsealer_reconciles_total', { ...unsealerPod, result: 'ok' })]: '0+1x40',
    },
    evalTime: '30m',
    firing: [],
  },
  {
    alert: 'UnsealKeysInsufficient',
    what: 'a sealed pod waits for keys',
    series: { [lbl('vault_unsealer_keys_insufficient_pods', unsealerPod)]: '1x10' },
    evalTime: '5m',
    firing: [{ severity: 'critical', job: 'vault-unsealer', namespace: 'cf-vault' }],
  },
  {
    alert: 'UnsealKeysInsufficient',
    what: 'no pod waits for keys',
    series: { [lbl('vault_unsealer_keys_insufficient_pods', unsealerPod)]: '0x10' },
    evalTime: '5m',
    firing: [],
  },
  {
    alert: 'PostgresDown',
    what: 'the exporter reports the instance down',
    series: { [lbl('cnpg_collector_up', pgPod)]: '0x10', [lbl('up', pgPod)]: '1x10' },
    evalTime: '5m',
    firing: [{ severity: 'critical', ...pgPod }],
  },
  {
    alert: 'PostgresDown',
    what: 'the instance and its exporter up',
    series: { [lbl('cnpg_collector_up', pgPod)]: '1x10', [lbl('up', pgPod)]: '1x10' },
    evalTime: '5m',
    firing: [],
  },
  {
    alert: 'PostgresReplicationLag',
    what: 'a replica one minute behind',
    series: { [lbl('cnpg_pg_replication_lag', { ...pgPod, pod: 'cf-postgres-2' })]: '60x20' },
    evalTime: '10m',
    firing: [{ severity: 'warning', pod: 'cf-postgres-2' }],
  },
  {
    alert: 'PostgresReplicationLag',
    what: 'a replica one second behind',
    series: { [lbl('cnpg_pg_replication_lag', { ...pgPod, pod: 'cf-postgres-2' })]: '1x20' },
    evalTime: '10m',
    firing: [],
  },
  {
    alert: 'CertificateExpiringSoon',
    what: 'a certificate expiring in under 7 days',
    series: {
      [lbl('certmanager_certificate_expiration_timestamp_seconds', {
        job: 'cert-manager',
        namespace: 'cf-apps',
        name: 'cf-gateway-tls',
      })]: `${7 * 86400}x150`,
    },
    evalTime: '2h',
    firing: [{ severity: 'warning', job: 'cert-manager', namespace: 'cf-apps', name: 'cf-gateway-tls' }],
  },
  {
    alert: 'CertificateExpiringSoon',
    what: 'a certificate valid for 60 more days',
    series: {
      [lbl('certmanager_certificate_expiration_timestamp_seconds', {
        job: 'cert-manager',
        namespace: 'cf-apps',
        name: 'cf-gateway-tls',
      })]: `${60 * 86400}x150`,
    },
    evalTime: '2h',
    firing: [],
  },
  {
    alert: 'PodCrashLooping',
    what: 'a container in CrashLoopBackOff for 20 minutes',
    series: {
      [lbl('kube_pod_container_status_waiting_reason', {
        job: 'kube-state-metrics',
        namespace: 'cf-apps',
        pod: 'user-service-abc',
        container: 'user-service',
        reason: 'CrashLoopBackOff',
      })]: '1x30',
    },
    evalTime: '25m',
    firing: [
      {
        severity: 'warning',
        job: 'kube-state-metrics',
        namespace: 'cf-apps',
        pod: 'user-service-abc',
        container: 'user-service',
        reason: 'CrashLoopBackOff',
      },
    ],
  },
  {
    alert: 'PodCrashLooping',
    what: 'containers running',
    series: {
      [lbl('kube_pod_container_status_waiting_reason', {
        job: 'kube-state-metrics',
        namespace: 'cf-apps',
        pod: 'user-service-abc',
        container: 'user-service',
        reason: 'CrashLoopBackOff',
      })]: '0x30',
    },
    evalTime: '25m',
    firing: [],
  },
  {
    alert: 'PVCAlmostFull',
    what: '5 % of a volume free',
    series: {
      [lbl('kubelet_volume_stats_available_bytes', {
        job: 'kubelet',
        namespace: 'cf-data',
        persistentvolumeclaim: 'cf-postgres-1',
      })]: '5x20',
      [lbl('kubelet_volume_stats_capacity_bytes', {
        job: 'kubelet',
        namespace: 'cf-data',
        persistentvolumeclaim: 'cf-postgres-1',
      })]: '100x20',
    },
    evalTime: '10m',
    firing: [{ severity: 'warning', job: 'kubelet', namespace: 'cf-data', persistentvolumeclaim: 'cf-postgres-1' }],
  },
  {
    alert: 'PVCAlmostFull',
    what: 'half of a volume free',
    series: {
      [lbl('kubelet_volume_stats_available_bytes', {
        job: 'kubelet',
        namespace: 'cf-data',
        persistentvolumeclaim: 'cf-postgres-1',
      })]: '50x20',
      [lbl('kubelet_volume_stats_capacity_bytes', {
        job: 'kubelet',
        namespace: 'cf-data',
        persistentvolumeclaim: 'cf-postgres-1',
      })]: '100x20',
    },
    evalTime: '10m',
    firing: [],
  },
  {
    alert: 'TelegramFloodWaitsSurge',
    what: 'one FLOOD_WAIT per second',
    series: { [lbl('telegram_flood_waits_total', { ...integ, operation: 'messages.sendMessage' })]: '0+60x40' },
    evalTime: '25m',
    firing: [{ severity: 'warning' }],
  },
  {
    alert: 'TelegramFloodWaitsSurge',
    what: 'six FLOOD_WAITs per minute',
    series: { [lbl('telegram_flood_waits_total', { ...integ, operation: 'messages.sendMessage' })]: '0+6x40' },
    evalTime: '25m',
    firing: [],
  },
  {
    alert: 'TelegramAccountsDisconnected',
    what: 'half the accounts lost',
    series: { [lbl('telegram_connected_accounts', integ)]: '100x30 50x30' },
    evalTime: '50m',
    firing: [{ severity: 'critical' }],
  },
  {
    alert: 'TelegramAccountsDisconnected',
    what: 'accounts steady',
    series: { [lbl('telegram_connected_accounts', integ)]: '100x60' },
    evalTime: '50m',
    firing: [],
  },
  {
    alert: 'LoginFailureSpike',
    what: 'two failed sign-ins per second, 80 % failing',
    series: {
      [lbl('user_logins_total', { ...user, outcome: 'invalid_credentials' })]: '0+120x20',
      [lbl('user_logins_total', { ...user, outcome: 'success' })]: '0+30x20',
    },
    evalTime: '15m',
    firing: [{ severity: 'warning' }],
  },
  {
    alert: 'LoginFailureSpike',
    what: 'a few mistyped passwords among many sign-ins',
    series: {
      [lbl('user_logins_total', { ...user, outcome: 'invalid_credentials' })]: '0+6x20',
      [lbl('user_logins_total', { ...user, outcome: 'success' })]: '0+600x20',
    },
    evalTime: '15m',
    firing: [],
  },
  {
    alert: 'PublishingBacklog',
    what: 'posts going out about 10 minutes late',
    series: {
      [lateness('60')]: '0+0x30',
      [lateness('600')]: '0+60x30',
      [lateness('+Inf')]: '0+60x30',
    },
    evalTime: '25m',
    firing: [{ severity: 'warning' }],
  },
  {
    alert: 'PublishingBacklog',
    what: 'posts going out within a minute',
    series: {
      [lateness('60')]: '0+60x30',
      [lateness('600')]: '0+60x30',
      [lateness('+Inf')]: '0+60x30',
    },
    evalTime: '25m',
    firing: [],
  },
  {
    alert: 'PublishingFailures',
    what: 'half the targets failing',
    series: {
      [attempts('failed')]: '0+30x40',
      [attempts('sent')]: '0+30x40',
    },
    evalTime: '30m',
    firing: [{ severity: 'warning' }],
  },
  {
    alert: 'PublishingFailures',
    what: 'every target sent',
    series: {
      [attempts('failed')]: '0+0x40',
      [attempts('sent')]: '0+60x40',
    },
    evalTime: '30m',
    firing: [],
  },
  {
    alert: 'PublishingFailures',
    what: 'many attempts rescheduled by FLOOD_WAIT, every target then sent',
    series: {
      [attempts('rescheduled')]: '0+60x40',
      [attempts('sent', 'bot')]: '0+30x40',
      [attempts('failed', 'bot')]: '0+1x40',
    },
    evalTime: '30m',
    firing: [],
  },
  {
    alert: 'PublishingFailures',
    what: 'bot sends ending unknown',
    series: {
      [attempts('unknown', 'bot')]: '0+20x40',
      [attempts('sent', 'bot')]: '0+60x40',
    },
    evalTime: '30m',
    firing: [{ severity: 'warning' }],
  },
  {
    alert: 'VaultBackupTooOld',
    what: 'a last good snapshot older than twice the daily schedule',
    series: { [lbl('kube_cronjob_status_last_successful_time', backupJob)]: '0x3000' },
    evalTime: '50h',
    firing: [{ severity: 'critical' }],
  },
  {
    alert: 'VaultBackupTooOld',
    what: 'a CronJob that never succeeded in twice its schedule',
    series: { [lbl('kube_cronjob_created', backupJob)]: '0x3000' },
    evalTime: '50h',
    // absent() names the CronJob it found missing.
    firing: [{ severity: 'critical', ...backupJob }],
  },
  {
    alert: 'VaultBackupTooOld',
    what: 'snapshots taken on time',
    series: { [lbl('kube_cronjob_status_last_successful_time', backupJob)]: '0+60x3000' },
    evalTime: '50h',
    firing: [],
  },
  {
    alert: 'VaultBackupFailed',
    what: 'runs scheduled since the last success ran past their deadline',
    series: {
      [lbl('kube_cronjob_status_last_schedule_time', backupJob)]: '0+60x200',
      [lbl('kube_cronjob_status_last_successful_time', backupJob)]: '0x200',
    },
    evalTime: '200m',
    firing: [{ severity: 'warning' }],
  },
  {
    alert: 'VaultBackupFailed',
    what: 'every scheduled run succeeded',
    series: {
      [lbl('kube_cronjob_status_last_schedule_time', backupJob)]: '0+60x200',
      [lbl('kube_cronjob_status_last_successful_time', backupJob)]: '0+60x200',
    },
    evalTime: '200m',
    firing: [],
  },
];
