/**
 * PostgreSQL (CloudNativePG's exporter: `cnpg_collector_up`, `cnpg_pg_replication_lag` in seconds), certificates
 * (cert-manager's `certmanager_certificate_expiration_timestamp_seconds`), pods (kube-state-metrics) and volumes
 * (the kubelet's `kubelet_volume_stats_*`). Thresholds follow kube-prometheus' runbooks where one exists.
 */
import { alert, type IRuleGroup } from './rule.ts';

export const REPLICATION_LAG_SECONDS = 30;
export const CERTIFICATE_WARNING_DAYS = 14;
export const PVC_FREE_SHARE = 0.1;

export function platformRules(): IRuleGroup[] {
  return [
    {
      name: 'platform.alerts',
      rules: [
        alert({
          name: 'PostgresDown',
          expr: 'cnpg_collector_up == 0 or up{job="cf-postgres"} == 0',
          for: '2m',
          severity: 'critical',
          summary: 'PostgreSQL instance {{ $labels.pod }} is down',
          description: "CloudNativePG's exporter reports the instance unreachable (or is itself unreachable).",
        }),
        alert({
          name: 'PostgresReplicationLag',
          expr: `max by (pod) (cnpg_pg_replication_lag) > ${REPLICATION_LAG_SECONDS}`,
          for: '5m',
          severity: 'warning',
          summary: 'PostgreSQL replica {{ $labels.pod }} lags {{ $value | humanizeDuration }}',
          description: 'A standby replays WAL more than 30 s behind the primary; failover would lose that window.',
        }),
        alert({
          name: 'CertificateExpiringSoon',
          expr: `certmanager_certificate_expiration_timestamp_seconds - time() < ${CERTIFICATE_WARNING_DAYS} * 86400`,
          for: '1h',
          severity: 'warning',
          summary: 'Certificate {{ $labels.namespace }}/{{ $labels.name }} expires within 14 days',
          description: 'cert-manager renews 30 days ahead by default; renewal has been failing for two weeks.',
        }),
        alert({
          name: 'PodCrashLooping',
          expr: 'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",namespace=~"cf-.*"}[5m]) >= 1',
          for: '15m',
          severity: 'warning',
          summary: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash looping',
          description: 'The container has been waiting in CrashLoopBackOff for 15 minutes.',
        }),
        alert({
          name: 'PVCAlmostFull',
          expr: [
            'kubelet_volume_stats_available_bytes{namespace=~"cf-.*"}',
            `/ kubelet_volume_stats_capacity_bytes{namespace=~"cf-.*"} < ${PVC_FREE_SHARE}`,
          ].join('\n'),
          for: '5m',
          severity: 'warning',
          summary: 'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is almost full',
          description: 'Less than 10 % of the volume is free ({{ $value | humanizePercentage }}).',
        }),
      ],
    },
  ];
}
