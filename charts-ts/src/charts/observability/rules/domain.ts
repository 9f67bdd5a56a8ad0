/**
 * Domain alerts: Telegram connections, sign-in abuse and publishing. Metric names are the services' own
 * (integration-service and user-service READMEs); the `publishing_*` family is integration-service's publisher
 * (`services/integration-service/src/publishing/metrics.ts`).
 */
import { alert, rateOrZero, rateRecord, record, type IRuleGroup } from './rule.ts';

/** FLOOD_WAIT answers per second across the fleet that count as a surge (30 per minute). */
export const FLOOD_WAIT_SURGE_PER_SECOND = 0.5;
/** Share of the last hour's peak of connected accounts below which accounts count as disconnected. */
export const DISCONNECTED_SHARE = 0.8;
/** Failed sign-ins per second that, together with a failure share above one half, look like credential stuffing. */
export const LOGIN_FAILURES_PER_SECOND = 1;
/** p95 lateness of scheduled posts, in seconds, above which publishing is backlogged. */
export const LATE_POST_SECONDS = 300;

export function domainRules(): IRuleGroup[] {
  return [
    {
      name: 'telegram.rules',
      rules: [
        record('cluster:telegram_connected_accounts:sum', 'sum(telegram_connected_accounts)'),
        rateRecord(['operation'], 'telegram_flood_waits_total'),
        rateRecord(['method', 'outcome'], 'telegram_logins_total'),
        rateRecord(['outcome'], 'user_logins_total'),
        record(
          'cluster:user_login_failures:ratio_rate5m',
          `${rateOrZero('user_logins_total', 'outcome!="success"', '', '5m')} / sum(rate(user_logins_total[5m]))`,
        ),
        rateRecord(['via', 'outcome'], 'publishing_attempts_total'),
        record(
          'cluster:publishing_send_lateness_seconds:p95_10m',
          'histogram_quantile(0.95, sum by (le) (rate(publishing_send_lateness_seconds_bucket[10m])))',
        ),
      ],
    },
    {
      name: 'telegram.alerts',
      rules: [
        alert({
          name: 'TelegramFloodWaitsSurge',
          expr: `sum(rate(telegram_flood_waits_total[10m])) > ${FLOOD_WAIT_SURGE_PER_SECOND}`,
          for: '10m',
          severity: 'warning',
          summary: 'Telegram answers FLOOD_WAIT unusually often',
          description:
            '{{ $value | humanize }} FLOOD_WAIT answers per second over 10 minutes: we call Telegram too fast.',
        }),
        alert({
          name: 'TelegramAccountsDisconnected',
          expr: [
            'cluster:telegram_connected_accounts:sum',
            `< ${DISCONNECTED_SHARE} * max_over_time(cluster:telegram_connected_accounts:sum[1h])`,
          ].join('\n'),
          for: '10m',
          severity: 'critical',
          summary: 'Connected Telegram accounts dropped below 80 % of the last hour',
          description: 'Only {{ $value }} accounts are connected; lease handovers or Telegram errors lose accounts.',
        }),
        alert({
          name: 'LoginFailureSpike',
          expr: [
            `sum(rate(user_logins_total{outcome!="success"}[5m])) > ${LOGIN_FAILURES_PER_SECOND}`,
            'and cluster:user_login_failures:ratio_rate5m > 0.5',
          ].join('\n'),
          for: '5m',
          severity: 'warning',
          summary: 'Failed sign-ins spike (possible credential stuffing)',
          description: '{{ $value | humanize }} failed sign-ins per second, most sign-ins failing.',
        }),
        alert({
          name: 'PublishingBacklog',
          expr: `cluster:publishing_send_lateness_seconds:p95_10m > ${LATE_POST_SECONDS}`,
          for: '10m',
          severity: 'warning',
          summary: 'Scheduled posts go out late',
          description: '95 % of posts were sent within {{ $value | humanizeDuration }} of their time (goal 5 min).',
        }),
        alert({
          name: 'PublishingFailures',
          // Final outcomes only: a rescheduled attempt (FLOOD_WAIT, a moved account) is not a failure yet.
          expr: [
            `${rateOrZero('publishing_attempts_total', 'outcome=~"failed|unknown"', '', '15m')}`,
            '/ sum(rate(publishing_attempts_total{outcome=~"sent|failed|unknown"}[15m])) > 0.1',
          ].join('\n'),
          for: '15m',
          severity: 'warning',
          summary: 'More than 10 % of posts fail to publish',
          description: '{{ $value | humanizePercentage }} of post targets failed or ended unknown over 15 minutes.',
        }),
      ],
    },
  ];
}
