import { Counter, Histogram, type Registry } from 'prom-client';

export interface PublishingMetrics {
  /** Targets settled, by how they were sent (account, bot) and outcome (sent, failed, unknown, rescheduled). */
  posts: Counter<'via' | 'outcome'>;
  /** Seconds between a target's scheduled time and Telegram accepting it. */
  lateness: Histogram<'via'>;
  /** FLOOD_WAIT (account) and 429 (bot) answers to sends, by Telegram chat id. */
  floodWaits: Counter<'chat'>;
}

/** The publishing metrics; `registerInto` adds them to the app's registry. */
export function createPublishingMetrics(): PublishingMetrics & { registerInto(registry: Registry): void } {
  const metrics: PublishingMetrics = {
    posts: new Counter({
      name: 'integration_publish_targets_total',
      help: 'Post targets settled, by via (account, bot) and outcome (sent, failed, unknown, rescheduled)',
      labelNames: ['via', 'outcome'] as const,
      registers: [],
    }),
    lateness: new Histogram({
      name: 'integration_publish_lateness_seconds',
      help: 'Seconds from a target’s scheduled time to Telegram accepting it, by via',
      labelNames: ['via'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [],
    }),
    floodWaits: new Counter({
      name: 'integration_publish_flood_waits_total',
      help: 'FLOOD_WAIT or 429 answers to sends, by Telegram chat id (bounded by the managed-channel caps)',
      labelNames: ['chat'] as const,
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
