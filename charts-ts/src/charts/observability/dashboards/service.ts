/** One RED dashboard per HTTP service (rate, errors, duration by route) plus the service's domain metrics. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ServiceName } from '../../../platform.ts';
import { errorRatioWindows } from '../rules/red.ts';
import { dashboard, graph, rateBy, stat, type Section } from './panels.ts';

/** Domain panels per service: the metrics named in each service's README. */
function domain(service: ServiceName): Section[] {
  switch (service) {
    case 'user-service':
      return [
        {
          title: 'Accounts and sessions',
          panels: [
            graph('Sign-ins by outcome', 'ops', [{ expr: 'outcome:user_logins:rate5m', legend: '{{outcome}}' }]),
            rateBy('Registrations by outcome', 'user_registrations_total', 'outcome'),
            rateBy('Token refreshes by outcome', 'user_token_refreshes_total', 'outcome'),
            rateBy('Sessions revoked by reason', 'user_sessions_revoked_total', 'reason'),
          ],
        },
      ];
    case 'api-gateway':
      return [
        {
          title: 'Gateway',
          panels: [
            rateBy('Requests refused by rate limit', 'gateway_rate_limited_total', 'limit'),
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
            rateBy('Requests refused by limit', 'integration_limit_rejections_total', 'limit'),
            rateBy('Telegram call timeouts by operation', 'telegram_call_timeouts_total', 'operation'),
          ],
        },
      ];
    case 'web':
      return [];
  }
}

export function serviceDashboard(service: ServiceName): Dashboard {
  const sel = `service="${service}"`;
  /** One series per route of a `service_route:…` recording rule (rules/red.ts), this service's only. */
  const byRoute = (title: string, unit: string, rule: string) =>
    graph(title, unit, [{ expr: `${rule}{${sel}}`, legend: '{{route}}' }]);
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
          byRoute('Requests by route', 'reqps', 'service_route:http_requests:rate5m'),
          byRoute('5xx by route', 'reqps', 'service_route:http_request_errors:rate5m'),
          byRoute('p99 by route', 's', 'service_route:http_request_duration_seconds:p99_5m'),
          byRoute('p50 by route', 's', 'service_route:http_request_duration_seconds:p50_5m'),
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
