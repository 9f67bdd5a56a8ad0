/**
 * RED (rate, errors, duration) for every HTTP service, from the kit's `http_requests_total{service,route,method,
 * status}` counter and `http_request_duration_seconds{service,route,method}` histogram (services/kit/src/http/
 * metrics.ts), and the availability SLO alerts.
 * SLO: 99.5 % of requests per service answer without a 5xx over 30 days (error budget 0.005). Burn-rate
 * thresholds from the Google SRE Workbook, "Alerting on SLOs", multiwindow multi-burn-rate table:
 * 14.4× over 1 h (confirmed over 5 m) and 6× over 6 h (confirmed over 30 m).
 */
import type { Severity } from '../settings.ts';
import { ns } from '../../../platform.ts';
import { scrapeTargets } from '../targets.ts';
import { alert, rateOrZero, rateRecord, record, type IRule, type IRuleGroup } from './rule.ts';

export const SLO_AVAILABILITY = 0.995;
const budget = 1 - SLO_AVAILABILITY;
const count = 'http_requests_total';
const bucket = 'http_request_duration_seconds_bucket';
/** Slowest acceptable p99 per route, in seconds, before HighLatencyP99 fires. */
export const LATENCY_P99_SECONDS = 1;

export const errorRatioWindows = ['5m', '30m', '1h', '6h'] as const;

/**
 * One row of the multiwindow multi-burn-rate table: HighErrorRate fires when a service's 5xx ratio exceeds
 * `rate` × the error budget over the `long` window and, confirming it is still burning, over the `short` one.
 * The threshold is rounded to 6 decimals so the rule text stays readable; `over` and `spends` word the long window
 * and the share of the budget that rate spends, for the description.
 */
function burnRateAlert(row: {
  rate: number;
  long: (typeof errorRatioWindows)[number];
  short: (typeof errorRatioWindows)[number];
  for: string;
  severity: Severity;
  over: string;
  spends: string;
}): IRule {
  const threshold = +(row.rate * budget).toFixed(6);
  return alert({
    name: 'HighErrorRate',
    expr: [
      `service:http_request_errors:ratio_rate${row.long} > ${threshold}`,
      `and service:http_request_errors:ratio_rate${row.short} > ${threshold}`,
    ].join('\n'),
    for: row.for,
    severity: row.severity,
    summary: `{{ $labels.service }} burns its error budget ${row.rate}× too fast`,
    description:
      `{{ $labels.service }} answered {{ $value | humanizePercentage }} 5xx over ${row.over} ` +
      `(SLO ${SLO_AVAILABILITY * 100} %): ${row.spends}.`,
  });
}

/**
 * The platform's own jobs (services, vault-unsealer, Vault, PostgreSQL), each of which must always have a target:
 * `up == 0` only sees a target that exists, so a workload scaled to 0, deleted or relabelled would go unnoticed.
 */
export function platformJobs(): { job: string; namespace: string }[] {
  const platform = new Set<string>([ns.apps, ns.vault, ns.data]);
  return scrapeTargets()
    .filter((t) => platform.has(t.namespace))
    .map(({ job, namespace }) => ({ job, namespace }));
}

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
          name: 'ServiceAbsent',
          // absent() keeps the equality matchers as the result's labels, so each missing job names itself.
          expr: platformJobs()
            .map(({ job, namespace }) => `absent(up{job="${job}",namespace="${namespace}"})`)
            .join('\nor '),
          for: '5m',
          severity: 'critical',
          summary: '{{ $labels.job }} in {{ $labels.namespace }} has no target',
          description:
            'Prometheus has found no pod of {{ $labels.job }} to scrape for 5 minutes: scaled to 0, deleted, or its pods lost their labels.',
        }),
        burnRateAlert({
          rate: 14.4,
          long: '1h',
          short: '5m',
          for: '2m',
          severity: 'critical',
          over: 'the last hour',
          spends: '2 % of the 30-day budget per hour',
        }),
        burnRateAlert({
          rate: 6,
          long: '6h',
          short: '30m',
          for: '15m',
          severity: 'warning',
          over: 'the last 6 hours',
          spends: '5 % of the 30-day budget in 6 hours',
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
