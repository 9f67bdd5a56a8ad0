/** Platform dashboards: overview, Vault + vault-unsealer, Telegram, PostgreSQL. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

import { dashboard, graph, rateBy, stat } from './panels.ts';

export function overviewDashboard(): Dashboard {
  return dashboard(
    'cf-overview',
    'Content Factory: overview',
    ['overview'],
    [
      {
        title: 'Health',
        panels: [
          stat('Firing alerts', 'short', { expr: 'count(ALERTS{alertstate="firing"}) or vector(0)', legend: 'firing' }),
          stat('Targets down', 'short', { expr: 'count(up == 0) or vector(0)', legend: 'down' }),
          stat('Vault unsealed pods', 'short', { expr: 'sum(vault_core_unsealed)', legend: 'unsealed' }),
          stat('Telegram accounts connected', 'short', {
            expr: 'cluster:telegram_connected_accounts:sum',
            legend: 'accounts',
          }),
        ],
      },
      {
        title: 'Services',
        panels: [
          graph('Targets up by job', 'short', [{ expr: 'sum by (job) (up)', legend: '{{job}}' }]),
          graph('Requests per service', 'reqps', [{ expr: 'service:http_requests:rate5m', legend: '{{service}}' }]),
          graph('5xx ratio per service', 'percentunit', [
            { expr: 'service:http_request_errors:ratio_rate5m', legend: '{{service}}' },
          ]),
          graph('Slowest route p99 per service', 's', [
            { expr: 'max by (service) (service_route:http_request_duration_seconds:p99_5m)', legend: '{{service}}' },
          ]),
        ],
      },
    ],
  );
}

export function vaultDashboard(): Dashboard {
  return dashboard(
    'cf-vault',
    'Vault and vault-unsealer',
    ['vault'],
    [
      {
        title: 'Seal state',
        panels: [
          stat('Sealed pods (unsealer)', 'short', { expr: 'cluster:vault_unsealer_sealed_pods:max', legend: 'sealed' }),
          stat('Pods waiting for keys', 'short', {
            expr: 'max(vault_unsealer_keys_insufficient_pods)',
            legend: 'waiting',
          }),
          stat('Seconds since last good reconcile', 's', {
            expr: 'time() - max(vault_unsealer_last_successful_reconcile_timestamp_seconds)',
            legend: 'age',
          }),
          stat('Unsealer leader replicas', 'short', { expr: 'sum(vault_unsealer_leader)', legend: 'leaders' }),
          graph('Unsealed (Vault)', 'short', [{ expr: 'vault_core_unsealed', legend: '{{pod}}{{instance}}' }]),
        ],
      },
      {
        title: 'vault-unsealer',
        panels: [
          graph('Unseal attempts by result', 'ops', [
            { expr: 'result:vault_unsealer_unseal_attempts:rate5m', legend: '{{result}}' },
          ]),
          graph('Time to unseal p90', 's', [
            {
              expr: 'histogram_quantile(0.9, sum by (le) (rate(vault_unsealer_unseal_seconds_bucket[30m])))',
              legend: 'p90',
            },
          ]),
          rateBy('Reconciles by result', 'vault_unsealer_reconciles_total', 'result'),
          rateBy('Configuration passes by result', 'vault_unsealer_configuration_applies_total', 'result'),
        ],
      },
    ],
  );
}

export function telegramDashboard(): Dashboard {
  return dashboard(
    'cf-telegram',
    'Telegram and publishing',
    ['telegram'],
    [
      {
        title: 'Accounts',
        panels: [
          graph('Connected accounts per pod', 'short', [{ expr: 'telegram_connected_accounts', legend: '{{pod}}' }]),
          graph('Logins by method and outcome', 'ops', [
            { expr: 'method_outcome:telegram_logins:rate5m', legend: '{{method}} {{outcome}}' },
          ]),
          rateBy('Lease handovers by kind', 'telegram_lease_handovers_total', 'kind'),
          graph('FLOOD_WAIT by operation', 'ops', [
            { expr: 'operation:telegram_flood_waits:rate5m', legend: '{{operation}}' },
          ]),
        ],
      },
      {
        title: 'Publishing',
        panels: [
          graph('Send attempts by via and outcome', 'ops', [
            { expr: 'via_outcome:publishing_attempts:rate5m', legend: '{{via}} {{outcome}}' },
          ]),
          graph('Send lateness p95', 's', [
            { expr: 'cluster:publishing_send_lateness_seconds:p95_10m', legend: 'p95' },
          ]),
          // By via, not by chat: a per-chat label would grow with the users (the chat is in the publisher's log).
          rateBy('Publishing FLOOD_WAIT by via', 'publishing_flood_waits_total', 'via'),
        ],
      },
    ],
  );
}

export function postgresDashboard(): Dashboard {
  return dashboard(
    'cf-postgres',
    'PostgreSQL (CloudNativePG)',
    ['postgres'],
    [
      {
        title: 'Instances',
        panels: [
          graph('Exporter reports instance up', 'short', [{ expr: 'cnpg_collector_up', legend: '{{pod}}' }]),
          graph('Replication lag', 's', [{ expr: 'max by (pod) (cnpg_pg_replication_lag)', legend: '{{pod}}' }]),
          graph('Connections by database', 'short', [
            { expr: 'sum by (datname) (cnpg_backends_total)', legend: '{{datname}}' },
          ]),
          graph('Database size', 'bytes', [
            { expr: 'max by (datname) (cnpg_pg_database_size_bytes)', legend: '{{datname}}' },
          ]),
          graph('Volume free share', 'percentunit', [
            {
              expr: 'kubelet_volume_stats_available_bytes{namespace="cf-data"} / kubelet_volume_stats_capacity_bytes{namespace="cf-data"}',
              legend: '{{persistentvolumeclaim}}',
            },
          ]),
        ],
      },
    ],
  );
}

/** Every dashboard by file name (one Grafana dashboard JSON each). */
export function dashboards(): Record<string, Dashboard> {
  const out: Record<string, Dashboard> = {
    'overview.json': overviewDashboard(),
    'vault.json': vaultDashboard(),
    'telegram.json': telegramDashboard(),
    'postgres.json': postgresDashboard(),
  };
  return out;
}
