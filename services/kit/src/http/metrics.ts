import type { Context, Next } from 'koa';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One registry per app instance, so tests can build many apps in one process. */
export interface Metrics {
  registry: Registry;
  /** `http_requests_total{route,method,status}`: every answer, by route template, method and status code. */
  httpRequests: Counter<'route' | 'method' | 'status'>;
  /** `http_request_duration_seconds{route,method}`: how long answers took (seconds), whatever their status. */
  httpDuration: Histogram<'route' | 'method'>;
}

/**
 * Latency buckets in seconds: 5 ms to 5 s. Nothing under 5 ms is resolved (an answer crosses at least one
 * network hop) and slower answers land in +Inf; the latency alert's threshold (1 s) is a bucket boundary.
 */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The HTTP metrics of a service. Status is a label of the counter only, not of the histogram: with it there,
 * every status a route ever answered multiplied the histogram's series by 13 lines, and `/metrics` of a
 * service with 100 routes grew past 600 KiB (issue 15's scrape-cost goal is ≤ 1 MB and ≤ 10 ms p95; numbers
 * in bench/observability.ts). Errors per route come from the counter, latency per route from the histogram.
 */
export function createMetrics(serviceName: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds by route template and method',
    labelNames: ['route', 'method'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration };
}

/** Route template set by @koa/router, so ids in paths never become label values. */
function routeOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}

/** The label objects of one route and method, made once: prom-client takes them as they are on every request. */
interface RouteLabels {
  labels: { route: string; method: string };
  byStatus: Map<number, { route: string; method: string; status: string }>;
}

/**
 * Observes every request, including the ones that end in an error problem. Label objects are looked up by route
 * and method instead of being built per request (their number is bounded by the routes, methods Node's parser
 * accepts and statuses — the series prom-client keeps anyway).
 */
export function measureRequests(metrics: Metrics) {
  const known = new Map<string, RouteLabels>();
  const labelsOf = (route: string, method: string): RouteLabels => {
    const key = `${method} ${route}`;
    let entry = known.get(key);
    if (entry === undefined) {
      entry = { labels: { route, method }, byStatus: new Map() };
      known.set(key, entry);
    }
    return entry;
  };
  return async function observeRequest(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      const entry = labelsOf(routeOf(ctx), ctx.method);
      metrics.httpDuration.observe(entry.labels, (performance.now() - started) / 1000);
      const status = ctx.status;
      let counted = entry.byStatus.get(status);
      if (counted === undefined) {
        counted = { ...entry.labels, status: String(status) };
        entry.byStatus.set(status, counted);
      }
      metrics.httpRequests.inc(counted);
    }
  };
}

export async function serveMetrics(ctx: Context, metrics: Metrics): Promise<void> {
  ctx.type = metrics.registry.contentType;
  ctx.body = await metrics.registry.metrics();
}
