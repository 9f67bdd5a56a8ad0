// Scrape cost and rule cost. (1) `/metrics` of a kit service at the size issue 15 names: 100 routes, each
// seen with GET/POST and three statuses, plus integration-service's Telegram metrics at 1,000 connected
// accounts — latency p50/p95 and body size, against `/healthz` of the same process as the baseline (goal
// ≤ 10 ms p95, ≤ 1 MB). (1b) Serialization alone of the same label sets in the kit's former shape (status on
// a 13-bucket histogram) and in today's (status on a counter), as a ratio measured in the same run.
// (1c) The server's own CPU per scrape, each build in its own process (load-independent).
// (2) Our rule groups in a real Prometheus scraping that service every second: each group's evaluation time
// as Prometheus reports it (`/api/v1/rules`).
// BENCH_BASELINE_KIT=<another checkout's services/kit/src/index.ts> serves the same routes and metrics from that
// build's kit too, in a process of its own (this file with BENCH_SERVE_KIT and PORT), measured in the same
// interleaved rounds and scraped by the same Prometheus; its registry's serialization alone is timed here, in
// turn with this build's: before/after from one run.
import { createApp, createLogger, listen, type RunningServer, type ServiceApp } from '@cf/kit';
import { Histogram, Registry } from 'prom-client';
import { createTelegramMetrics } from '../services/integration-service/src/metrics.ts';
import { ruleSets } from '../charts-ts/src/charts/observability/rules/index.ts';
import { dev } from '../charts-ts/src/profile.ts';
import { freePort, scratchDir, spawnManaged, waitFor } from '@cf/embedded/process';
import { startPrometheus } from '@cf/embedded/prometheus';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { median, percentile } from './stats.ts';

const ROUTES = 100;
const ACCOUNTS = 1000;
const samples = Number(process.env['BENCH_SAMPLES'] ?? 500);

const logger = createLogger({ name: 'bench', level: 'warn' });

/** integration-service's shape: its Telegram metrics and 100 routes answering GET and POST with any status. */
async function serviceOf(
  create: typeof createApp,
  port = 0,
): Promise<{ server: RunningServer; metrics: ServiceApp['metrics'] }> {
  const { app, router, metrics } = create({ name: 'integration-service', logger });
  const telegram = createTelegramMetrics('integration-service-0', () => ACCOUNTS);
  telegram.registerInto(metrics.registry);
  for (let i = 0; i < ROUTES; i += 1) {
    router.get(`/v1/bench/r${i}/:id`, (ctx) => {
      ctx.status = Number(ctx.query['status'] ?? 200);
    });
    router.post(`/v1/bench/r${i}/:id`, (ctx) => {
      ctx.status = Number(ctx.query['status'] ?? 200);
    });
  }
  for (const operation of ['messages.sendMessage', 'auth.signIn', 'channels.getFullChannel']) {
    telegram.floodWaits.inc({ operation });
  }
  for (const method of ['phone', 'qr'])
    for (const outcome of ['connected', 'expired', 'error']) telegram.logins.inc({ method, outcome });
  return { server: await listen(app, { port, host: '127.0.0.1' }), metrics };
}

const kitAt = async (entry: string): Promise<typeof createApp> =>
  ((await import(entry)) as { createApp: typeof createApp }).createApp;

const serveKit = process.env['BENCH_SERVE_KIT'];
if (serveKit !== undefined) {
  // The baseline's own process: serve until stopped, nothing else.
  await serviceOf(await kitAt(serveKit), Number(process.env['PORT']));
  await new Promise<never>(() => {});
}

const { server, metrics } = await serviceOf(createApp);
const baselineKit = process.env['BENCH_BASELINE_KIT'];

/** A kit's service in a process of its own, so its work and garbage never land in another build's numbers. */
async function startServed(entry: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnManaged(process.execPath, [new URL(import.meta.url).pathname], {
    name: `kit service of ${entry}`,
    logFile: join(scratchDir('bench-served-kit'), 'service.log'),
    env: { BENCH_SERVE_KIT: entry, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
    what: `the kit service of ${entry}`,
    process: child,
  });
  return { url, pid: child.pid, stop: () => child.stop() };
}
const baseline = baselineKit === undefined ? undefined : await startServed(baselineKit);
/** The baseline's registry in this process, fed the same requests, for its serialization alone. */
const baselineLocal = baselineKit === undefined ? undefined : await serviceOf(await kitAt(baselineKit));

/**
 * fetch, tried again once when the kept-alive connection was closed by the server while idle (ECONNRESET):
 * after the long serialization runs the pool's sockets have outlived the server's keep-alive timeout.
 */
async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    return fetch(url, init);
  }
}

/** Every route × status once for `method`: the label sets a busy service accumulates. */
async function exercise(
  method: string,
  urls = [server.url, baseline?.url, baselineLocal?.server.url].filter((url) => url !== undefined),
): Promise<void> {
  for (const url of urls) {
    for (let i = 0; i < ROUTES; i += 1) {
      for (const status of [200, 404, 500]) {
        await (await fetchOnce(`${url}/v1/bench/r${i}/42?status=${status}`, { method })).arrayBuffer();
      }
    }
  }
}

async function measure(path: string, base = server.url, count = samples): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    const response = await fetch(`${base}${path}`);
    const body = await response.arrayBuffer();
    ms.push(performance.now() - started);
    bytes = body.byteLength;
  }
  return { ms, bytes };
}

/** `/metrics` of one server: p50/p95 and size, with its `/healthz` beside it. */
function describe(name: string, scrape: { ms: number[]; bytes: number }, healthz: number[], text: string): void {
  const seriesLines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
  const p95 = percentile(scrape.ms, 95);
  console.log(
    `  ${name}: size ${(scrape.bytes / 1024).toFixed(0)} KiB (${seriesLines} samples) — goal ≤ 1 MB: ${scrape.bytes <= 1_000_000 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  ${name}: latency p50 ${median(scrape.ms).toFixed(2)} ms, p95 ${p95.toFixed(2)} ms — goal ≤ 10 ms p95: ${p95 <= 10 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  ${name}: /healthz p50 ${median(healthz).toFixed(2)} ms, p95 ${percentile(healthz, 95).toFixed(2)} ms; /metrics p50 = ${(median(scrape.ms) / median(healthz)).toFixed(1)}× /healthz`,
  );
}

async function report(shape: string): Promise<void> {
  const servers = [
    { name: 'this build', url: server.url },
    ...(baseline !== undefined ? [{ name: `baseline ${baselineKit}`, url: baseline.url }] : []),
  ];
  const results = servers.map(() => ({ healthz: [] as number[], scrape: { ms: [] as number[], bytes: 0 } }));
  for (const { url } of servers) await measure('/healthz', url); // warm-up
  // Interleaved rounds, so drift on a shared machine hits every build alike.
  for (let round = 0; round < 5; round += 1) {
    for (const [i, { url }] of servers.entries()) {
      results[i]!.healthz.push(...(await measure('/healthz', url, samples / 5)).ms);
      const scrape = await measure('/metrics', url, samples / 5);
      results[i]!.scrape.ms.push(...scrape.ms);
      results[i]!.scrape.bytes = scrape.bytes;
    }
  }
  console.log(`/metrics with ${shape}, ${ACCOUNTS} connected Telegram accounts:`);
  for (const [i, { name, url }] of servers.entries()) {
    describe(name, results[i]!.scrape, results[i]!.healthz, await (await fetch(`${url}/metrics`)).text());
  }
  if (results.length > 1) {
    const ratio = percentile(results[0]!.scrape.ms, 95) / percentile(results[1]!.scrape.ms, 95);
    console.log(
      `  p95 this build / baseline: ${ratio.toFixed(2)}; size ${(results[0]!.scrape.bytes / results[1]!.scrape.bytes).toFixed(2)}`,
    );
  }
}

/** The kit's former histogram (status as a label, 13 buckets), fed the label sets the service has now. */
function formerShape(methods: string[]): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'integration-service' });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  for (let i = 0; i < ROUTES; i += 1)
    for (const method of methods)
      for (const status of ['200', '404', '500'])
        histogram.observe({ route: `/v1/bench/r${i}/:id`, method, status }, 0.003);
  return registry;
}

/** `registry.metrics()` alone, p95 over `samples` runs, for today's registry and the former shape in turn. */
async function serialization(methods: string[]): Promise<void> {
  const former = formerShape(methods);
  const p95 = async (registry: Registry): Promise<{ ms: number; bytes: number }> => {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < samples; i += 1) {
      const started = performance.now();
      bytes = (await registry.metrics()).length;
      ms.push(performance.now() - started);
    }
    return { ms: percentile(ms, 95), bytes };
  };
  const now = await p95(metrics.registry);
  const before = await p95(former);
  console.log(
    `  serialization p95: ${now.ms.toFixed(2)} ms (${(now.bytes / 1024).toFixed(0)} KiB, whole registry) vs the former ` +
      `histogram alone ${before.ms.toFixed(2)} ms (${(before.bytes / 1024).toFixed(0)} KiB): ${(before.ms / now.ms).toFixed(1)}× faster`,
  );
  if (baselineLocal !== undefined) {
    const base = await p95(baselineLocal.metrics.registry);
    console.log(
      `  serialization p95 of the baseline's whole registry: ${base.ms.toFixed(2)} ms (${(base.bytes / 1024).toFixed(0)} KiB); this build / baseline ${(now.ms / base.ms).toFixed(2)}`,
    );
  }
}

await exercise('GET');
await report(`${ROUTES} routes × 3 statuses (one method per route)`);
await serialization(['GET']);
await exercise('POST');
await report(`${ROUTES} routes × 2 methods × 3 statuses (worst case)`);
await serialization(['GET', 'POST']);

/**
 * CPU time a process has used so far, in ms (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms): on a
 * loaded machine the server's CPU per scrape moves far less than wall time, and none of the client's is in it.
 */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The server's own CPU per `/metrics` of the worst case, this build (and the baseline) each in its own process. */
async function cpuPerScrape(): Promise<void> {
  const builds = [
    { name: 'this build', entry: new URL('../services/kit/src/index.ts', import.meta.url).pathname },
    ...(baselineKit !== undefined ? [{ name: `baseline ${baselineKit}`, entry: baselineKit }] : []),
  ];
  const perScrape: number[] = [];
  for (const { entry } of builds) {
    const served = await startServed(entry);
    try {
      for (const method of ['GET', 'POST']) await exercise(method, [served.url]);
      await measure('/metrics', served.url, 20); // warm-up
      const before = cpuMs(served.pid);
      await measure('/metrics', served.url);
      perScrape.push((cpuMs(served.pid) - before) / samples);
    } finally {
      await served.stop();
    }
  }
  console.log(
    `server CPU per /metrics (100 routes × 2 methods × 3 statuses, own process, ${samples} scrapes): ` +
      builds.map(({ name }, i) => `${name} ${perScrape[i]!.toFixed(2)} ms`).join(', ') +
      (perScrape.length > 1 ? `; this build / baseline ${(perScrape[0]! / perScrape[1]!).toFixed(2)}` : ''),
  );
}
await cpuPerScrape();

// Rule evaluation in a real Prometheus scraping this service every second.
const url = new URL(server.url);
const baselineUrl = baseline === undefined ? undefined : new URL(baseline.url);
// The dev profile's rules, as its PrometheusRule objects carry them.
const ruleFile = join(scratchDir('bench-rules'), 'rules.yaml');
writeFileSync(ruleFile, stringify({ groups: Object.values(ruleSets(dev.vault.backup?.everyHours)).flat() }));
const prometheus = await startPrometheus({
  ruleFiles: [ruleFile],
  targets: [
    {
      job: 'integration-service',
      address: `${url.hostname}:${url.port}`,
      path: '/metrics',
      labels: { namespace: 'cf-apps', pod: 'integration-service-0' },
    },
    ...(baselineUrl !== undefined
      ? [
          {
            job: 'baseline',
            address: `${baselineUrl.hostname}:${baselineUrl.port}`,
            path: '/metrics',
            labels: { namespace: 'cf-apps', pod: 'integration-service-1' },
          },
        ]
      : []),
  ],
});
const WINDOW_S = 30;
await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
// The scrape as Prometheus itself times it (its own process, gzip negotiated as in production): the figure the
// ≤ 10 ms goal is about. The in-process numbers above include the bench client's own parsing on the same thread.
const scrapeStat = async (query: string): Promise<number> =>
  Number((await prometheus.query(query))[0]?.value[1] ?? Number.NaN) * 1000;
for (const job of ['integration-service', ...(baselineUrl !== undefined ? ['baseline'] : [])]) {
  const series = `scrape_duration_seconds{job="${job}"}[${WINDOW_S}s]`;
  const scrapeP50 = await scrapeStat(`quantile_over_time(0.5, ${series})`);
  const scrapeP95 = await scrapeStat(`quantile_over_time(0.95, ${series})`);
  console.log(
    `/metrics of ${job === 'baseline' ? `the baseline ${baselineKit}` : 'this build'} as Prometheus scrapes it (scrape_duration_seconds, ${WINDOW_S} scrapes, 100 routes × 2 methods × 3 statuses): ` +
      `p50 ${scrapeP50.toFixed(2)} ms, p95 ${scrapeP95.toFixed(2)} ms — goal ≤ 10 ms p95: ${scrapeP95 <= 10 ? 'met' : 'MISSED'}`,
  );
}
const rules = await prometheus.api<{ groups: { name: string; evaluationTime: number; rules: unknown[] }[] }>('rules');
console.log('rule groups in Prometheus (evaluation every 1 s, last evaluation):');
let total = 0;
for (const group of rules.groups) {
  total += group.evaluationTime;
  console.log(`  ${group.name.padEnd(16)} ${group.rules.length} rules  ${(group.evaluationTime * 1000).toFixed(2)} ms`);
}
const durations = await prometheus.query(`max_over_time(prometheus_rule_group_last_duration_seconds[${WINDOW_S}s])`);
const worst = Math.max(...durations.map((s) => Number(s.value[1])));
console.log(
  `  all groups ${(total * 1000).toFixed(2)} ms per round; slowest group over ${WINDOW_S} s ${(worst * 1000).toFixed(2)} ms`,
);
await prometheus.stop();
await server.close();
await baseline?.stop();
await baselineLocal?.server.close();
