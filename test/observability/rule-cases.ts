/**
 * `promtool test rules` cases: for every alert, at least one case where it fires and one where it stays
 * silent (promtool's unit-test format, prometheus docs "Unit testing for rules"). Series use a 1 m interval.
 *
 * The cases are written as one table per alert: the series the alert reads and the evaluation time, then one
 * row per case with the values each series takes (promtool's expanding notation, e.g. `0+60x30`).
 */

import { platformJobs } from '../../charts-ts/src/charts/observability/rules/red.ts';

export interface AlertCase {
  alert: string;
  /** What the case shows, for the test's name. */
  what: string;
  series: Record<string, string>;
  evalTime: string;
  /** Labels of each expected firing alert (severity included); empty when the alert must stay silent. */
  firing: Record<string, string>[];
}

/** One row of an alert's table. */
interface CaseRow {
  what: string;
  /** Values per series, in the order of the table's `series`; `null` leaves that series out of the case. */
  values: (string | null)[];
  firing: Record<string, string>[];
}

/**
 * Every case of one alert: the series it reads, when promtool evaluates it (`evalTime`, promtool's duration), and
 * one case per row, pairing each series with the row's value at the same index.
 */
function alertCasesOf(alert: string, evalTime: string, series: string[], rows: CaseRow[]): AlertCase[] {
  return rows.map(({ what, values, firing }) => {
    if (values.length !== series.length)
      throw new Error(`${alert} "${what}": ${values.length} values for ${series.length} series`);
    const present = series.flatMap((name, i) => (values[i] === null ? [] : [[name, values[i]!] as const]));
    return { alert, what, evalTime, firing, series: Object.fromEntries(present) };
  });
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
const userPod = { ...user, pod: 'user-service-0', instance: '10.244.0.3:8080' };
const vaultPod = { job: 'vault', namespace: 'cf-vault', pod: 'vault-0', instance: '10.244.0.5:8200' };
const unsealerPod = {
  job: 'vault-unsealer',
  namespace: 'cf-vault',
  pod: 'vault-unsealer-0',
  instance: '10.244.0.6:8080',
};
const unsealerJob = { job: 'vault-unsealer', namespace: 'cf-vault' };
const pgPod = { job: 'cf-postgres', namespace: 'cf-data', pod: 'cf-postgres-1', instance: '10.244.0.7:9187' };
const backupJob = { namespace: 'cf-vault', cronjob: 'vault-backup' };
const certificate = { job: 'cert-manager', namespace: 'cf-apps', name: 'cf-gateway-tls' };
const crashLooping = {
  job: 'kube-state-metrics',
  namespace: 'cf-apps',
  pod: 'user-service-abc',
  container: 'user-service',
  reason: 'CrashLoopBackOff',
};
const volume = { job: 'kubelet', namespace: 'cf-data', persistentvolumeclaim: 'cf-postgres-1' };
const integ = { job: 'integration-service', namespace: 'cf-apps', pod: 'integration-service-0' };
/** integration-service's publishing series, labelled as it exports them (publishing/metrics.ts). */
const lateness = (le: string): string =>
  lbl('publishing_send_lateness_seconds_bucket', { ...integ, via: 'account', le });
const attempts = (outcome: string, via = 'account'): string =>
  lbl('publishing_attempts_total', { ...integ, via, outcome });
const day = 86400;

export const alertCases: AlertCase[] = [
  ...alertCasesOf(
    'ServiceDown',
    '5m',
    [lbl('up', userPod)],
    [
      { what: 'a target unreachable for 5 minutes', values: ['0x10'], firing: [{ severity: 'critical', ...userPod }] },
      { what: 'every target up', values: ['1x10'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'ServiceAbsent',
    '10m',
    platformJobs().map((j) => lbl('up', { ...j, pod: `${j.job}-0`, instance: '10.244.0.9:8080' })),
    [
      {
        what: 'user-service without a single target for 10 minutes',
        values: platformJobs().map((j) => (j.job === 'user-service' ? null : '1x10')),
        firing: [{ severity: 'critical', job: 'user-service', namespace: 'cf-apps' }],
      },
      { what: 'every platform job with a target', values: platformJobs().map(() => '1x10'), firing: [] },
    ],
  ),
  ...alertCasesOf(
    'HighErrorRate',
    '75m',
    [http({ status: '200' }), http({ status: '500' })],
    [
      {
        what: 'a third of requests failing pages (fast burn) and tickets (slow burn)',
        values: ['0+60x80', '0+30x80'],
        firing: [
          { severity: 'critical', service: 'user-service' },
          { severity: 'warning', service: 'user-service' },
        ],
      },
      {
        what: '1 % of requests failing stays within the 99.5 % SLO burn thresholds',
        values: ['0+99x80', '0+1x80'],
        firing: [],
      },
    ],
  ),
  ...alertCasesOf(
    'HighLatencyP99',
    '20m',
    [bucket('0.1'), bucket('1'), bucket('2.5'), bucket('+Inf'), http({ status: '200' })],
    [
      {
        what: 'every request between 1 s and 2.5 s',
        values: ['0+0x30', '0+0x30', '0+60x30', '0+60x30', '0+60x30'],
        firing: [{ severity: 'warning', service: 'user-service', route: '/v1/auth/login' }],
      },
      {
        what: 'every request under 100 ms',
        values: ['0+60x30', '0+60x30', '0+60x30', '0+60x30', '0+60x30'],
        firing: [],
      },
    ],
  ),
  ...alertCasesOf(
    'VaultSealed',
    '5m',
    [lbl('vault_core_unsealed', vaultPod), lbl('vault_unsealer_sealed_pods', unsealerPod)],
    [
      { what: 'Vault reports itself sealed', values: ['0x10', null], firing: [{ severity: 'critical', ...vaultPod }] },
      {
        what: 'vault-unsealer sees a sealed pod (Vault itself not scraped)',
        values: [null, '1x10'],
        firing: [{ severity: 'critical', ...unsealerJob }],
      },
      { what: 'Vault unsealed and no sealed pod seen', values: ['1x10', '0x10'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'VaultUnsealerFailing',
    '30m',
    [
      lbl('vault_unsealer_last_successful_reconcile_timestamp_seconds', unsealerPod),
      lbl('vault_unsealer_reconciles_total', { ...unsealerPod, result: 'error' }),
      lbl('vault_unsealer_reconciles_total', { ...unsealerPod, result: 'ok' }),
    ],
    [
      {
        what: 'no successful reconcile since the start',
        values: ['0x40', '0+1x40', null],
        firing: [{ severity: 'critical' }],
      },
      { what: 'reconciles succeed every minute', values: ['0+60x40', null, '0+1x40'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'UnsealKeysInsufficient',
    '5m',
    [lbl('vault_unsealer_keys_insufficient_pods', unsealerPod)],
    [
      { what: 'a sealed pod waits for keys', values: ['1x10'], firing: [{ severity: 'critical', ...unsealerJob }] },
      { what: 'no pod waits for keys', values: ['0x10'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'PostgresDown',
    '5m',
    [lbl('cnpg_collector_up', pgPod), lbl('up', pgPod)],
    [
      {
        what: 'the exporter reports the instance down',
        values: ['0x10', '1x10'],
        firing: [{ severity: 'critical', ...pgPod }],
      },
      { what: 'the instance and its exporter up', values: ['1x10', '1x10'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'PostgresReplicationLag',
    '10m',
    [lbl('cnpg_pg_replication_lag', { ...pgPod, pod: 'cf-postgres-2' })],
    [
      {
        what: 'a replica one minute behind',
        values: ['60x20'],
        firing: [{ severity: 'warning', pod: 'cf-postgres-2' }],
      },
      { what: 'a replica one second behind', values: ['1x20'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'CertificateExpiringSoon',
    '2h',
    [lbl('certmanager_certificate_expiration_timestamp_seconds', certificate)],
    [
      {
        what: 'a certificate expiring in under 7 days',
        values: [`${7 * day}x150`],
        firing: [{ severity: 'warning', ...certificate }],
      },
      { what: 'a certificate valid for 60 more days', values: [`${60 * day}x150`], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'PodCrashLooping',
    '25m',
    [lbl('kube_pod_container_status_waiting_reason', crashLooping)],
    [
      {
        what: 'a container in CrashLoopBackOff for 20 minutes',
        values: ['1x30'],
        firing: [{ severity: 'warning', ...crashLooping }],
      },
      { what: 'containers running', values: ['0x30'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'PVCAlmostFull',
    '10m',
    [lbl('kubelet_volume_stats_available_bytes', volume), lbl('kubelet_volume_stats_capacity_bytes', volume)],
    [
      { what: '5 % of a volume free', values: ['5x20', '100x20'], firing: [{ severity: 'warning', ...volume }] },
      { what: 'half of a volume free', values: ['50x20', '100x20'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'TelegramFloodWaitsSurge',
    '25m',
    [lbl('telegram_flood_waits_total', { ...integ, operation: 'messages.sendMessage' })],
    [
      { what: 'one FLOOD_WAIT per second', values: ['0+60x40'], firing: [{ severity: 'warning' }] },
      { what: 'six FLOOD_WAITs per minute', values: ['0+6x40'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'TelegramAccountsDisconnected',
    '50m',
    [lbl('telegram_connected_accounts', integ)],
    [
      { what: 'half the accounts lost', values: ['100x30 50x30'], firing: [{ severity: 'critical' }] },
      { what: 'accounts steady', values: ['100x60'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'LoginFailureSpike',
    '15m',
    [
      lbl('user_logins_total', { ...user, outcome: 'invalid_credentials' }),
      lbl('user_logins_total', { ...user, outcome: 'success' }),
    ],
    [
      {
        what: 'two failed sign-ins per second, 80 % failing',
        values: ['0+120x20', '0+30x20'],
        firing: [{ severity: 'warning' }],
      },
      { what: 'a few mistyped passwords among many sign-ins', values: ['0+6x20', '0+600x20'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'PublishingBacklog',
    '25m',
    [lateness('60'), lateness('600'), lateness('+Inf')],
    [
      {
        what: 'posts going out about 10 minutes late',
        values: ['0+0x30', '0+60x30', '0+60x30'],
        firing: [{ severity: 'warning' }],
      },
      { what: 'posts going out within a minute', values: ['0+60x30', '0+60x30', '0+60x30'], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'PublishingFailures',
    '30m',
    [
      attempts('failed'),
      attempts('sent'),
      attempts('rescheduled'),
      attempts('sent', 'bot'),
      attempts('failed', 'bot'),
      attempts('unknown', 'bot'),
    ],
    [
      {
        what: 'half the targets failing',
        values: ['0+30x40', '0+30x40', null, null, null, null],
        firing: [{ severity: 'warning' }],
      },
      { what: 'every target sent', values: ['0+0x40', '0+60x40', null, null, null, null], firing: [] },
      {
        what: 'many attempts rescheduled by FLOOD_WAIT, every target then sent',
        values: [null, null, '0+60x40', '0+30x40', '0+1x40', null],
        firing: [],
      },
      {
        what: 'bot sends ending unknown',
        values: [null, null, null, '0+60x40', null, '0+20x40'],
        firing: [{ severity: 'warning' }],
      },
    ],
  ),
  ...alertCasesOf(
    'VaultBackupTooOld',
    '50h',
    [lbl('kube_cronjob_status_last_successful_time', backupJob), lbl('kube_cronjob_created', backupJob)],
    [
      {
        what: 'a last good snapshot older than twice the daily schedule',
        values: ['0x3000', null],
        firing: [{ severity: 'critical' }],
      },
      // absent() names the CronJob it found missing.
      {
        what: 'a CronJob that never succeeded in twice its schedule',
        values: [null, '0x3000'],
        firing: [{ severity: 'critical', ...backupJob }],
      },
      { what: 'snapshots taken on time', values: ['0+60x3000', null], firing: [] },
    ],
  ),
  ...alertCasesOf(
    'VaultBackupFailed',
    '200m',
    [
      lbl('kube_cronjob_status_last_schedule_time', backupJob),
      lbl('kube_cronjob_status_last_successful_time', backupJob),
    ],
    [
      {
        what: 'runs scheduled since the last success ran past their deadline',
        values: ['0+60x200', '0x200'],
        firing: [{ severity: 'warning' }],
      },
      { what: 'every scheduled run succeeded', values: ['0+60x200', '0+60x200'], firing: [] },
    ],
  ),
];
