/**
 * RED (rate, errors, duration) for every HTTP service, from the kit's `http_requests_total{service,route,method,
 * status}` counter and `http_request_duration_seconds{service,route,method}` histogram (services/kit/src/http/
 * metrics.ts), and the availability SLO alerts.
 * SLO: 99.5 % of requests per service answer without a 5xx over 30 days (error budget 0.005). Burn-rate
 * thresholds from the Google SRE Workbook, "Alerting on SLOs", multiwindow multi-burn-rate table:
 * 14.4× over 1 h (confirmed over 5 m) and 6× over 6 h (confirmed over 30 m).
 */
import { alert, rateOrZero, rateRecord, record, type IRuleGroup } from './rule.ts';

export const SLO_AVAILABILITY = 0.995;
const budget = 1 - SLO_AVAILABILITY;
/** Error-ratio thresholds: burn rate × budget, rounded so rule text stays readable. */
const fast = +(14.4 * budget).toFixed(6);
const slow = +(6 * budget).toFixed(6);
const count = 'http_requests_total';
const bucket = 'http_request_duration_seconds_bucket';
/** Slowest acceptable p99 per route, in seconds, before HighLatencyP99 fires. */
export const LATENCY_P99_SECONDS = 1;

export const errorRatioWindows = ['5m', '30m', '1h', '6h'] as const;

export function redRules(): IRuleGroup[] {
  const ratio = (w: string): string =>
    `${rateOrZero(count, 'status=~"5.."', 'service', w)} / sum by (service) (rate(${count}[${w}]))`;
  return [
    {
      name: 'red.rules',
      rules: [
        rateRecord(['service', 'route'], count),
        record('service_route:http_request_errors:rate5m', rateOrZero(count, 'status=~"5.."', 'service, route', '5m')),
        record(
          'service_route:http_request_duration_seconds:p99_5m',
          `histogram_quantile(0.99, sum by (service, route, le) (rate(${bucket}[5m])))`,
        ),
        record(
          'service_route:http_request_duration_seconds:p50_5m',
          `histogram_quantile(0.5, sum by (service, route, le) (rate(${bucket}[5m])))`,
        ),
        rateRecord(['service'], count),
        ...errorRatioWindows.map((w) => record(`service:http_request_errors:ratio_rate${w}`, ratio(w))),
      ],
    },
    {
      name: 'red.alerts',
      rules: [
        alert({
          name: 'ServiceDown',
          expr: 'up{namespace=~"cf-.*"} == 0',
          for: '3m',
          severity: 'critical',
          summary: '{{ $labels.job }} target {{ $labels.instance }} is down',
          description: 'Prometheus has not scraped {{ $labels.job }} on {{ $labels.pod }} for 3 minutes.',
        }),
        alert({
          name: 'HighErrorRate',
          expr: [
            `service:http_request_errors:ratio_rate1h > ${fast}`,
            `and service:http_request_errors:ratio_rate5m > ${fast}`,
          ].join('\n'),
          for: '2m',
          severity: 'critical',
          summary: '{{ $labels.service }} burns its error budget 14.4× too fast',
          description:
            '{{ $labels.service }} answered {{ $value | humanizePercentage }} 5xx over the last hour ' +
            `(SLO ${SLO_AVAILABILITY * 100} %): 2 % of the 30-day budget per hour.`,
        }),
        alert({
          name: 'HighErrorRate',
          expr: [
            `service:http_request_errors:ratio_rate6h > ${slow}`,
            `and service:http_request_errors:ratio_rate30m > ${slow}`,
          ].join('\n'),
          for: '15m',
          severity: 'warning',
          summary: '{{ $labels.service }} burns its error budget 6× too fast',
          description:
            '{{ $labels.service }} answered {{ $value | humanizePercentage }} 5xx over the last 6 hours ' +
            `(SLO ${SLO_AVAILABILITY * 100} %): 5 % of the 30-day budget in 6 hours.`,
        }),
        alert({
          name: 'HighLatencyP99',
          expr: [
            `service_route:http_request_duration_seconds:p99_5m > ${LATENCY_P99_SECONDS}`,
            'and service_route:http_requests:rate5m > 0.1',
          ].join('\n'),
          for: '10m',
          severity: 'warning',
          summary: '{{ $labels.service }} {{ $labels.route }} p99 above 1 s',
          description: 'The 99th percentile of {{ $labels.route }} on {{ $labels.service }} is {{ $value }} s.',
        }),
      ],
    },
  ];
}
