/** One RED dashboard per HTTP service (rate, errors, duration by route) plus the service's domain metrics. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ServiceName } from '../../../platform.ts';
import { errorRatioWindows } from '../rules/red.ts';
import { dashboard, graph, stat, type Section } from './panels.ts';

/** Domain panels per service: the metrics named in each service's README. */
function domain(service: ServiceName): Section[] {
  switch (service) {
    case 'user-service':
      return [
        {
          title: 'Accounts and sessions',
          panels: [
            graph('Sign-ins by outcome', 'ops', [{ expr: 'outcome:user_logins:rate5m', legend: '{{outcome}}' }]),
            graph('Registrations by outcome', 'ops', [
              { expr: 'sum by (outcome) (rate(user_registrations_total[5m]))', legend: '{{outcome}}' },
            ]),
            graph('Token refreshes by outcome', 'ops', [
              { expr: 'sum by (outcome) (rate(user_token_refreshes_total[5m]))', legend: '{{outcome}}' },
            ]),
            graph('Sessions revoked by reason', 'ops', [
              { expr: 'sum by (reason) (rate(user_sessions_revoked_total[5m]))', legend: '{{reason}}' },
            ]),
          ],
        },
      ];
    case 'api-gateway':
      return [
        {
          title: 'Gateway',
          panels: [
            graph('Requests refused by rate limit', 'ops', [
              { expr: 'sum by (limit) (rate(gateway_rate_limited_total[5m]))', legend: '{{limit}}' },
            ]),
            // A histogram (services/api-gateway/src/edge-auth.ts): its p99 over all replicas.
            graph('Revocation lag (p99)', 's', [
              {
                expr: 'histogram_quantile(0.99, sum by (le) (rate(gateway_revocation_lag_seconds_bucket[5m])))',
                legend: 'p99',
              },
            ]),
          ],
        },
      ];
    case 'integration-service':
      return [
        {
          title: 'Limits and Telegram calls',
          panels: [
            graph('Requests refused by limit', 'ops', [
              { expr: 'sum by (limit) (rate(integration_limit_rejections_total[5m]))', legend: '{{limit}}' },
            ]),
            graph('Telegram call timeouts by operation', 'ops', [
              { expr: 'sum by (operation) (rate(telegram_call_timeouts_total[5m]))', legend: '{{operation}}' },
            ]),
          ],
        },
      ];
    case 'web':
      return [];
  }
}

export function serviceDashboard(service: ServiceName): Dashboard {
  const sel = `service="${service}"`;
  return dashboard(
    `cf-red-${service}`,
    `${service}: RED`,
    ['red', service],
    [
      {
        title: 'Now',
        panels: [
          stat('Requests per second', 'reqps', { expr: `sum(service:http_requests:rate5m{${sel}})`, legend: 'rps' }),
          stat('5xx ratio (5 m)', 'percentunit', {
            expr: `service:http_request_errors:ratio_rate5m{${sel}}`,
            legend: '5xx',
          }),
          stat('Slowest route p99', 's', {
            expr: `max(service_route:http_request_duration_seconds:p99_5m{${sel}})`,
            legend: 'p99',
          }),
          stat('Pods up', 'short', { expr: `sum(up{job="${service}"})`, legend: 'up' }),
        ],
      },
      {
        title: 'Rate, errors, duration by route',
        panels: [
          graph('Requests by route', 'reqps', [
            { expr: `service_route:http_requests:rate5m{${sel}}`, legend: '{{route}}' },
          ]),
          graph('5xx by route', 'reqps', [
            { expr: `service_route:http_request_errors:rate5m{${sel}}`, legend: '{{route}}' },
          ]),
          graph('p99 by route', 's', [
            { expr: `service_route:http_request_duration_seconds:p99_5m{${sel}}`, legend: '{{route}}' },
          ]),
          graph('p50 by route', 's', [
            { expr: `service_route:http_request_duration_seconds:p50_5m{${sel}}`, legend: '{{route}}' },
          ]),
          graph(
            'Error ratio (SLO burn windows)',
            'percentunit',
            errorRatioWindows.map((w) => ({ expr: `service:http_request_errors:ratio_rate${w}{${sel}}`, legend: w })),
          ),
        ],
      },
      {
        title: 'Process',
        panels: [
          graph('Resident memory', 'bytes', [
            { expr: `process_resident_memory_bytes{${sel}}`, legend: '{{pod}}{{instance}}' },
          ]),
          graph('Event loop lag p99', 's', [
            { expr: `nodejs_eventloop_lag_p99_seconds{${sel}}`, legend: '{{pod}}{{instance}}' },
          ]),
        ],
      },
      ...domain(service),
    ],
  );
}
