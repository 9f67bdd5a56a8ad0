import test from 'ava';
import { Counter, Histogram, Registry } from 'prom-client';
import { HTTP_DURATION_BUCKETS } from '../../services/kit/src/http/metrics.ts';
import { HTTP_DURATION_HELP, HTTP_REQUESTS_HELP, RequestSeries } from '../../services/kit/src/http/request-series.ts';

// The kit writes its HTTP families itself (scrape cost, issue 15); prom-client is the reference for what the
// samples must be.

interface Answer {
  route: string;
  method: string;
  status: number;
  seconds: number;
}

/** The same answers counted by prom-client's Counter and Histogram, with `service` as a default label. */
function reference(service: string, answers: Answer[]): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const requests = new Counter({
    name: 'http_requests_total',
    help: HTTP_REQUESTS_HELP,
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: HTTP_DURATION_HELP,
    labelNames: ['route', 'method'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  for (const { route, method, status, seconds } of answers) {
    requests.inc({ route, method, status: String(status) });
    duration.observe({ route, method }, seconds);
  }
  return registry;
}

function ours(service: string, answers: Answer[]): RequestSeries {
  const series = new RequestSeries({ service, buckets: HTTP_DURATION_BUCKETS });
  for (const { route, method, status, seconds } of answers) series.observe(route, method, status, seconds);
  return series;
}

/**
 * Samples of a text exposition by metric name and label set (labels in name order, as Prometheus reads them),
 * and the comment lines; label values may hold escaped quotes, so labels are parsed, not split.
 */
function samples(text: string): { values: Map<string, string>; comments: string[] } {
  const values = new Map<string, string>();
  const comments: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      comments.push(line);
      continue;
    }
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
      ([, name, value]) => `${name}=${value}`,
    );
    values.set(`${match[1]}{${labels.sort().join(',')}}`, match[3]!);
  }
  return { values, comments };
}

const answers: Answer[] = [
  { route: '/items/:id', method: 'GET', status: 200, seconds: 0.003 },
  { route: '/items/:id', method: 'GET', status: 200, seconds: 0.005 },
  { route: '/items/:id', method: 'GET', status: 404, seconds: 0.2 },
  { route: '/items/:id', method: 'PATCH', status: 500, seconds: 1 },
  { route: '/slow', method: 'POST', status: 201, seconds: 12.5 },
  { route: 'unmatched', method: 'OPTIONS', status: 405, seconds: 0 },
];

test('the HTTP families hold the same samples prom-client would write for the same answers', async (t) => {
  const expected = samples(await reference('user-service', answers).metrics());
  const actual = samples(ours('user-service', answers).exposition());
  t.deepEqual(Object.fromEntries(actual.values), Object.fromEntries(expected.values));
  t.deepEqual(actual.comments, expected.comments);
});

test('label values with quotes, backslashes and line feeds are escaped as prom-client escapes them', async (t) => {
  const odd: Answer[] = [{ route: '/a"b\\c\nd', method: 'GET', status: 200, seconds: 0.01 }];
  const expected = samples(await reference('we"ird\\', odd).metrics());
  const actual = samples(ours('we"ird\\', odd).exposition());
  t.deepEqual(Object.fromEntries(actual.values), Object.fromEntries(expected.values));
});

test('both families are declared with HELP and TYPE before the first answer', async (t) => {
  const expected = samples(await reference('web', []).metrics());
  const actual = samples(ours('web', []).exposition());
  t.is(actual.values.size, 0);
  t.deepEqual(actual.comments, expected.comments);
});
