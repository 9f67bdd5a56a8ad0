// Throughput and lag of the logging pipeline on this machine, as ratios against a baseline in the same run:
// - Filebeat → the cf-logs ingest pipeline → a search engine (OpenSearch 2.19: the engine here that runs ingest
//   pipelines) vs Filebeat → a file output alone (the same reading, parsing and batching, no indexing);
// - end-to-end lag from a line's write to the moment a search finds it, p50/p95, at a steady 200 lines/s.
// Filebeat's own Elasticsearch output accepts neither engine here (test/support/filebeat.ts), so its file output is
// followed by a loader that sends new events every 100 ms with `_bulk?pipeline=cf-logs`, as that output would.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filebeatConfig } from '../charts-ts/src/charts/logging/filebeat-config.ts';
import { indexTemplate } from '../charts-ts/src/charts/logging/index-template.ts';
import { ingestPipeline } from '../charts-ts/src/charts/logging/ingest-pipeline.ts';
import { dataStreamName, logging } from '../charts-ts/src/charts/logging/names.ts';
import { readEvents, startFilebeat } from '@cf/embedded/filebeat';
import { scratchDir, waitFor } from '@cf/embedded/process';
import { startOpenSearch } from '@cf/embedded/search-engines';
import { formatMs, percentile } from './stats.ts';

const LINES = Number(process.env['BENCH_LINES'] ?? 20_000);
const BULK_SIZE = 2_000;
const stream = dataStreamName();

function bunyanLine(i: number, time = new Date()): string {
  return JSON.stringify({
    name: 'user-service',
    hostname: 'bench',
    pid: 1,
    level: 30,
    req_id: `req-${i}`,
    method: 'GET',
    path: '/users/me',
    status: 200,
    ms: 1.25,
    msg: 'request',
    time: time.toISOString(),
    v: 0,
  });
}

function cri(line: string): string {
  return `${new Date().toISOString()} stdout F ${line}\n`;
}

function corpus(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `user-service-0_cf-apps_user-service-${'a'.repeat(64)}.log`);
  let text = '';
  for (let i = 0; i < LINES; i += 1) text += cri(bunyanLine(i));
  writeFileSync(file, text);
  return file;
}

const countLines = (file: string): number => readEvents(file).length;

/** Filebeat (the chart's configuration, no Kubernetes metadata) reading `dir`/in/*.log into the file `dir`/out/events. */
function filebeatToFile(dir: string, name: string): ReturnType<typeof startFilebeat> {
  return startFilebeat(
    filebeatConfig({
      paths: [join(dir, 'in', '*.log')],
      output: { kind: 'file', path: join(dir, 'out'), filename: 'events' },
      kubernetesMetadata: undefined,
    }),
    name,
  );
}

// Baseline: Filebeat reading the same files into a file output.
const baseDir = scratchDir('bench-filebeat-file');
corpus(join(baseDir, 'in'));
const baseStarted = Date.now();
const baseline = await filebeatToFile(baseDir, 'bench-filebeat-file');
await waitFor(async () => countLines(join(baseDir, 'out', 'events')) >= LINES || undefined, {
  what: 'the file output',
  process: baseline.process,
  timeoutMs: 300_000,
  intervalMs: 100,
});
const baseMs = Date.now() - baseStarted;
await baseline.stop();

// Bulk requests of a whole Filebeat batch through the pipeline outlast the harness's default deadline on a loaded
// 2-core machine (one run hit it at 60 s): 3 min each here, still bounded.
const engine = await startOpenSearch(undefined, { requestTimeoutMs: 180_000 });
try {
  const template = indexTemplate('dev') as { template: Record<string, unknown> };
  const { lifecycle: _lifecycle, ...withoutLifecycle } = template.template;
  await engine.request('PUT', `/_ingest/pipeline/${logging.pipeline}`, ingestPipeline());
  await engine.request('PUT', `/_index_template/${logging.template}`, { ...template, template: withoutLifecycle });
  const count = async (): Promise<number> => {
    await engine.request('POST', `/${stream}/_refresh`);
    const response = await engine.request('GET', `/${stream}/_count`);
    return (response.body as { count?: number }).count ?? 0;
  };

  const dir = scratchDir('bench-filebeat-search');
  const file = corpus(join(dir, 'in'));
  const started = Date.now();
  const shipper = await filebeatToFile(dir, 'bench-filebeat-search');
  // The loader: every 100 ms, the events Filebeat added since the last round, through the pipeline.
  let sent = 0;
  let loading = true;
  const loader = (async () => {
    while (loading) {
      const events = readEvents(join(dir, 'out', 'events'));
      if (events.length > sent) {
        const batch = events.slice(sent);
        sent = events.length;
        // Bulk requests of at most BULK_SIZE events, as an output sends batches, not the whole backlog at once.
        for (let i = 0; i < batch.length; i += BULK_SIZE) {
          const body = batch
            .slice(i, i + BULK_SIZE)
            .map((event) => `{"create":{}}\n${JSON.stringify(event)}\n`)
            .join('');
          const response = await engine.request('POST', `/${stream}/_bulk?pipeline=${logging.pipeline}`, body);
          const result = response.body as { errors?: boolean; items?: unknown[] };
          // A refused item would otherwise leave the count short and the bench waiting until its timeout.
          if (response.status !== 200 || result.errors === true) {
            throw new Error(`bulk refused: ${response.status} ${JSON.stringify(result.items?.slice(0, 2))}`);
          }
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await waitFor(async () => (await count()) >= LINES || undefined, {
    what: 'every line searchable',
    process: shipper.process,
    timeoutMs: 600_000,
    intervalMs: 200,
  });
  const pipelineMs = Date.now() - started;

  // Lag: 200 lines/s for 10 s, each found by a search polled every 100 ms.
  const written = new Map<string, number>();
  const seen = new Map<string, number>();
  const rate = 200;
  const seconds = 10;
  for (let tick = 0; tick < seconds * 10; tick += 1) {
    let chunk = '';
    for (let i = 0; i < rate / 10; i += 1) {
      const id = `lag-${tick}-${i}`;
      written.set(id, Date.now());
      chunk += cri(bunyanLine(0, new Date()).replace('"req-0"', `"${id}"`));
    }
    appendFileSync(file, chunk);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const deadline = Date.now() + 120_000;
  while (seen.size < written.size && Date.now() < deadline) {
    await engine.request('POST', `/${stream}/_refresh`);
    const found = await engine.request('POST', `/${stream}/_search`, {
      size: 10_000,
      _source: ['trace.id'],
      query: { prefix: { 'trace.id': 'lag-' } },
    });
    const now = Date.now();
    for (const hit of (found.body as { hits: { hits: { _source: { trace?: { id?: string } } }[] } }).hits.hits) {
      const id = hit._source.trace?.id;
      if (id !== undefined && !seen.has(id)) seen.set(id, now);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  loading = false;
  await loader;
  await shipper.stop();
  const lags = [...seen].map(([id, at]) => at - (written.get(id) ?? at));

  const baseRate = LINES / (baseMs / 1000);
  const pipelineRate = LINES / (pipelineMs / 1000);
  console.log(`lines: ${LINES}`);
  console.log(`Filebeat → file output (baseline): ${baseRate.toFixed(0)} lines/s (${formatMs(baseMs)})`);
  console.log(`Filebeat → cf-logs pipeline → OpenSearch: ${pipelineRate.toFixed(0)} lines/s (${formatMs(pipelineMs)})`);
  console.log(`ratio: ${(pipelineRate / baseRate).toFixed(2)}× the baseline`);
  console.log(
    `lag write → searchable at ${rate} lines/s: p50 ${formatMs(percentile(lags, 50))}, p95 ${formatMs(percentile(lags, 95))} (${seen.size}/${written.size} seen)`,
  );
} finally {
  await engine.stop();
}
