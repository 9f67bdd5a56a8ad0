import { Counter, Histogram, type Registry } from 'prom-client';

/** How a target is sent: the two values of every publishing metric's `via` label. */
export type Via = 'account' | 'bot';

/**
 * The publishing metrics. Names follow Prometheus naming (a `publishing_` domain prefix like `telegram_`,
 * base units, `_total` on counters); labels are bounded: `via` has two values, `outcome` four. A chat is
 * not a label (one series per channel would grow with the users): flood waits by chat are in the logs.
 * The alert rules and dashboards that read them: charts-ts `observability/rules/domain.ts`, `dashboards/`.
 */
export interface PublishingMetrics {
  /** Send attempts that ended, by via and outcome (sent, failed, unknown, rescheduled). */
  attempts: Counter<'via' | 'outcome'>;
  /** Seconds from a target's scheduled time to Telegram accepting it, by via (per-chat pacing included). */
  lateness: Histogram<'via'>;
  /** FLOOD_WAIT (account) and 429 (bot) answers to sends, by via. */
  floodWaits: Counter<'via'>;
}

/**
 * Lateness buckets, in seconds: fine below the 1 s goal beyond pacing (bench/publishing.ts), and bounds
 * above the PublishingBacklog threshold (300 s), so the alert's p95 can exceed it.
 */
export const LATENESS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** The publishing metrics; `registerInto` adds them to the app's registry. */
export function createPublishingMetrics(): PublishingMetrics & { registerInto(registry: Registry): void } {
  const metrics: PublishingMetrics = {
    attempts: new Counter({
      name: 'publishing_attempts_total',
      help: 'Send attempts of post targets that ended, by via (account, bot) and outcome (sent, failed, unknown, rescheduled)',
      labelNames: ['via', 'outcome'] as const,
      registers: [],
    }),
    lateness: new Histogram({
      name: 'publishing_send_lateness_seconds',
      help: 'Seconds from a target’s scheduled time to Telegram accepting it, by via (per-chat pacing included)',
      labelNames: ['via'] as const,
      buckets: LATENESS_BUCKETS,
      registers: [],
    }),
    floodWaits: new Counter({
      name: 'publishing_flood_waits_total',
      help: 'FLOOD_WAIT (account) or 429 (bot) answers to sends, by via',
      labelNames: ['via'] as const,
      registers: [],
    }),
  };
  return {
    ...metrics,
    registerInto(registry: Registry) {
      for (const metric of Object.values(metrics)) registry.registerMetric(metric);
    },
  };
}
