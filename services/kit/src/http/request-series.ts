/**
 * The two HTTP metric families every service exports, counted and written out in the Prometheus text format
 * (version 0.0.4) by this module instead of by prom-client:
 *
 * - `http_requests_total{route,method,status,service}` (counter): every answer, by route template, method and
 *   status code;
 * - `http_request_duration_seconds{route,method,service}` (histogram, `le` buckets in seconds): how long answers
 *   took, whatever their status.
 *
 * Why not prom-client's Counter and Histogram: they are the bulk of a service's `/metrics` (100 routes × 2 methods
 * are 2,600 histogram lines), and prom-client formats every line's labels anew on each scrape — an object spread
 * for the registry's default labels, an array and a join per line. That made a scrape of such a service take
 * 28.9 ms at p95 on a quiet machine against issue 15's goal of ≤ 10 ms (bench/observability.ts). Here each
 * series' label text is escaped and written once, when the series first appears, and a scrape only joins numbers
 * onto it. The samples are the ones prom-client would write for the same answers, labels and values alike
 * (test/kit/request-series.test.ts compares the two).
 */

/** A label value as the text format wants it: backslash, double quote and line feed escaped. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value as prom-client writes it (`+Inf`, `-Inf`, `Nan`, else JavaScript's number text). */
function sampleValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** One route and method: its lines' text up to the value, its latency counts and its answers per status. */
interface RouteSeries {
  /** `route="…",method="…"`, escaped. */
  labels: string;
  /** Each bucket's line up to its value (`…_bucket{…,le="0.005"} `), then `…_sum{…} ` and `…_count{…} `. */
  prefixes: string[];
  /** Answers per bucket, not cumulative; the last one counts answers above every bound (+Inf). */
  buckets: number[];
  sum: number;
  count: number;
  byStatus: Map<number, { prefix: string; count: number }>;
}

const REQUESTS = 'http_requests_total';
const DURATION = 'http_request_duration_seconds';

export interface RequestSeriesOptions {
  /** The `service` label every series carries. */
  service: string;
  /** Histogram bucket upper bounds in seconds, ascending. */
  buckets: readonly number[];
}

export const HTTP_REQUESTS_HELP = 'HTTP requests answered, by route template, method and status code';
export const HTTP_DURATION_HELP = 'HTTP request duration in seconds by route template and method';

export class RequestSeries {
  private readonly bounds: readonly number[];
  /** `,service="…"`, escaped, and each bucket's `le="…"` label as the bounds print. */
  private readonly service: string;
  private readonly le: string[];
  /** By `method route`. Bounded by the routes, the methods Node's parser accepts and the statuses. */
  private readonly series = new Map<string, RouteSeries>();

  constructor(options: RequestSeriesOptions) {
    this.bounds = [...options.buckets];
    this.service = `service="${labelValue(options.service)}"`;
    this.le = [...this.bounds.map((bound) => sampleValue(bound)), '+Inf'];
  }

  /** Counts one answer of `route` (a template, never a raw path) to `method`, with `status`, after `seconds`. */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      const labels = `route="${labelValue(route)}",method="${labelValue(method)}"`;
      const all = `${labels},${this.service}`;
      series = {
        labels,
        prefixes: [
          ...this.le.map((le) => `${DURATION}_bucket{${all},le="${le}"} `),
          `${DURATION}_sum{${all}} `,
          `${DURATION}_count{${all}} `,
        ],
        buckets: new Array<number>(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
        byStatus: new Map(),
      };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]!) bucket += 1;
    series.buckets[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
    let answers = series.byStatus.get(status);
    if (answers === undefined) {
      answers = { prefix: `${REQUESTS}{${series.labels},status="${status}",${this.service}} `, count: 0 };
      series.byStatus.set(status, answers);
    }
    answers.count += 1;
  }

  /** Both families in the text format, HELP and TYPE lines included even before the first answer. */
  exposition(): string {
    let requests = `# HELP ${REQUESTS} ${HTTP_REQUESTS_HELP}\n# TYPE ${REQUESTS} counter`;
    let duration = `# HELP ${DURATION} ${HTTP_DURATION_HELP}\n# TYPE ${DURATION} histogram`;
    const buckets = this.le.length;
    for (const series of this.series.values()) {
      for (const answers of series.byStatus.values()) requests += `\n${answers.prefix}${answers.count}`;
      let cumulative = 0;
      for (let i = 0; i < buckets; i += 1) {
        cumulative += series.buckets[i]!;
        duration += `\n${series.prefixes[i]!}${cumulative}`;
      }
      duration += `\n${series.prefixes[buckets]!}${sampleValue(series.sum)}\n${series.prefixes[buckets + 1]!}${series.count}`;
    }
    return `${requests}\n\n${duration}`;
  }
}
