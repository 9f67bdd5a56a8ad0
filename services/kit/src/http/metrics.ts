import type { Context, Next } from 'koa';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequestSeries } from './request-series.ts';

/**
 * A service's registry: prom-client's, with the HTTP families of `RequestSeries` written ahead of its own
 * metrics, so `metrics()` is everything the service exports. Prometheus text format only (the kit never
 * switches a registry to OpenMetrics).
 */
class ServiceRegistry extends Registry {
  private readonly requests: RequestSeries;

  constructor(requests: RequestSeries) {
    super();
    this.requests = requests;
  }

  override async metrics(): Promise<string> {
    return `${this.requests.exposition()}\n\n${await super.metrics()}`;
  }
}

/** One registry per app instance, so tests can build many apps in one process. */
export interface Metrics {
  /** Every metric of the service; a service registers its own metrics here. */
  registry: Registry;
  /**
   * `http_requests_total{route,method,status}` and `http_request_duration_seconds{route,method}` (seconds),
   * both with the `service` label: every answer, by route template, method and status code, and how long it
   * took whatever its status (request-series.ts).
   */
  requests: RequestSeries;
}

/**
 * Latency buckets in seconds: 5 ms to 5 s. Nothing under 5 ms is resolved (an answer crosses at least one
 * network hop) and slower answers land in +Inf; the latency alert's threshold (1 s) is a bucket boundary.
 */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The metrics of a service: prom-client's default process metrics, the HTTP families, and whatever the service
 * registers, all labelled `service`. Status is a label of the counter only, not of the histogram: with it there,
 * every status a route ever answered multiplied the histogram's series by 13 lines, and `/metrics` of a
 * service with 100 routes grew past 600 KiB (issue 15's scrape-cost goal is ≤ 1 MB and ≤ 10 ms p95; numbers
 * in bench/observability.ts). Errors per route come from the counter, latency per route from the histogram.
 */
export function createMetrics(serviceName: string): Metrics {
  const requests = new RequestSeries({ service: serviceName, buckets: HTTP_DURATION_BUCKETS });
  const registry = new ServiceRegistry(requests);
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  return { registry, requests };
}

/** Route template set by @koa/router, so ids in paths never become label values. */
function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}

/** Observes every request, including the ones that end in an error problem. */
export function measureRequests(metrics: Metrics) {
  return async function observeRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      metrics.requests.observe(routeOf(ctx), ctx.method, ctx.status, (performance.now() - started) / 1000);
    }
  };
}

export async function serveMetrics(ctx: Context, metrics: Metrics): Promise<void> {
  ctx.type = metrics.registry.contentType;
  ctx.body = await metrics.registry.metrics();
}
