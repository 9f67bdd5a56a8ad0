// The logging pipeline proven on real software. Which engine proves what (see test/support/search-engines.ts):
// real Filebeat 7.17 reads the services' real log lines in the kubelet's CRI format with the chart's own input
// and container parser; its events go through the real `cf-logs` ingest pipeline on OpenSearch 2.19 (the
// Elasticsearch integ-test distribution has no ingest processors) by `_bulk?pipeline=cf-logs` — the request
// Filebeat's own Elasticsearch output would make, had it accepted either engine (it wants Elastic's `GET /` and
// `/_license`: test/support/filebeat.ts); the documents the pipeline produced are then indexed into a real
// Elasticsearch 8.19 under the chart's own index template, where `_field_caps` — what Kibana asks when it
// creates a data view — must report `@timestamp` as a date.
import test from 'ava';
import { appendFileSync } from 'node:fs';
import { dataStreamName, logging } from '../../charts-ts/src/charts/logging/names.ts';
import { filebeatConfig } from '../../charts-ts/src/charts/logging/filebeat-config.ts';
import { indexTemplate } from '../../charts-ts/src/charts/logging/index-template.ts';
import { ingestPipeline } from '../../charts-ts/src/charts/logging/ingest-pipeline.ts';
import { join } from 'node:path';
import { readEvents, startFilebeat, type FilebeatProcess } from '@cf/embedded/filebeat';
import { scratchDir, startTogether, waitFor } from '@cf/embedded/process';
import { startElasticsearch, startOpenSearch, type SearchEngine } from '@cf/embedded/search-engines';
import { captureServiceLogs, writeContainerLogs, type Corpus } from './corpus.ts';

interface Doc {
  '@timestamp': string;
  message?: string;
  log?: { level?: string };
  service?: { name?: string };
  trace?: { id?: string };
  event?: { action?: string; outcome?: string; kind?: string; ingested?: string };
  http?: { response?: { status_code?: number }; request?: { method?: string } };
  url?: { path?: string };
  [key: string]: unknown;
}

const ROGUE_SECRET = `hunter2-${Date.now()}`;
const ROGUE_TOKEN = `tok-${Date.now()}`;
const stream = dataStreamName();

let es: SearchEngine;
let os: SearchEngine;
let shipper: FilebeatProcess;
let corpus: Corpus;
let docs: Doc[] = [];

async function ok(engine: SearchEngine, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await engine.request(method, path, body);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function allDocs(engine: SearchEngine): Promise<Doc[]> {
  await ok(engine, 'POST', `/${stream}/_refresh`);
  const body = (await ok(engine, 'POST', `/${stream}/_search`, { size: 10_000, query: { match_all: {} } })) as {
    hits: { hits: { _source: Doc }[] };
  };
  return body.hits.hits.map((hit) => hit._source);
}

test.before(async () => {
  const [services, elastic, open] = await startTogether([
    captureServiceLogs(),
    startElasticsearch(),
    startOpenSearch(),
  ]);
  es = elastic;
  os = open;
  const dir = scratchDir('logging-corpus');
  corpus = writeContainerLogs(dir, {
    'user-service': services.user,
    'integration-service': services.integration,
    'api-gateway': services.gateway,
  });
  // A line from a path that skipped the kit's redaction, with secrets by name at two depths, and a plain line.
  const rogue = corpus.logs[0]!;
  const rogueLine = JSON.stringify({
    name: 'user-service',
    hostname: 'rogue',
    pid: 1,
    level: 50,
    msg: 'logged without the kit',
    time: new Date().toISOString(),
    v: 0,
    password: ROGUE_SECRET,
    details: { apiToken: ROGUE_TOKEN, sessionId: 'public-session-id' },
  });
  for (const line of [rogueLine, 'node:internal/process: plain text from a crash']) {
    appendFileSync(rogue.file, `${new Date().toISOString()} stderr F ${line}\n`);
    rogue.lines.push(line);
    corpus.lines.push(line);
  }

  // OpenSearch speaks no data stream lifecycle (retention is ISM there): the template goes in without it.
  const template = indexTemplate('dev') as { template: Record<string, unknown> };
  const { lifecycle: _lifecycle, ...openSearchTemplate } = template.template;
  await ok(os, 'PUT', `/_ingest/pipeline/${logging.pipeline}`, ingestPipeline());
  await ok(os, 'PUT', `/_index_template/${logging.template}`, { ...template, template: openSearchTemplate });
  await ok(es, 'PUT', `/_index_template/${logging.template}`, indexTemplate('dev'));

  const out = join(dir, 'filebeat-out');
  shipper = await startFilebeat(
    filebeatConfig({
      paths: [`${corpus.dir}/*.log`],
      output: { kind: 'file', path: out, filename: 'events' },
      kubernetesMetadata: undefined,
    }),
  );
  const events = await waitFor(
    async () => {
      const read = readEvents(join(out, 'events'));
      return read.length >= corpus.lines.length ? read : undefined;
    },
    {
      what: `Filebeat to read ${corpus.lines.length} lines`,
      process: shipper.process,
      timeoutMs: 120_000,
      intervalMs: 200,
    },
  );
  const shipped = events.map((event) => `${JSON.stringify({ create: {} })}\n${JSON.stringify(event)}\n`).join('');
  const ingest = (await ok(os, 'POST', `/${stream}/_bulk?pipeline=${logging.pipeline}&refresh=true`, shipped)) as {
    errors: boolean;
    items: unknown[];
  };
  if (ingest.errors) throw new Error(`the pipeline refused events: ${JSON.stringify(ingest.items.slice(0, 3))}`);
  docs = await allDocs(os);
  // The documents the pipeline produced, into Elasticsearch 8.19's data stream under the chart's template.
  const bulk = docs.map((doc) => `${JSON.stringify({ create: {} })}\n${JSON.stringify(doc)}\n`).join('');
  const result = (await ok(es, 'POST', `/${stream}/_bulk?refresh=true`, bulk)) as { errors: boolean; items: unknown[] };
  if (result.errors) throw new Error(`Elasticsearch refused documents: ${JSON.stringify(result.items.slice(0, 3))}`);
});

test.after.always(async () => {
  await Promise.all([shipper?.stop(), es?.stop(), os?.stop()]);
});

test('Elasticsearch 8.19 accepts the index template and keeps the profile retention on the data stream', async (t) => {
  const body = (await ok(es, 'GET', `/_index_template/${logging.template}`)) as {
    index_templates: { index_template: { template: { lifecycle?: { data_retention?: string } } } }[];
  };
  t.is(body.index_templates[0]?.index_template.template.lifecycle?.data_retention, '3d');
  const indices = (await ok(es, 'GET', `/${stream}`)) as Record<string, { data_stream?: string }>;
  t.true(Object.values(indices).every((index) => index.data_stream === stream));
});

test('every line every service wrote is read by Filebeat and indexed through the cf-logs pipeline', (t) => {
  t.is(docs.length, corpus.lines.length);
  const services = new Set(docs.map((doc) => doc.service?.name));
  for (const name of ['user-service', 'integration-service', 'api-gateway']) t.true(services.has(name), name);
});

test('@timestamp is the time the service wrote the record, not the runtime or ingest time', (t) => {
  const written = new Set(
    corpus.lines.flatMap((line) => {
      try {
        const time = (JSON.parse(line) as { time?: string }).time;
        return time === undefined ? [] : [Date.parse(time)];
      } catch {
        return [];
      }
    }),
  );
  const parsed = docs.filter((doc) => doc.service?.name !== undefined);
  t.true(parsed.length > 0);
  for (const doc of parsed) {
    t.true(written.has(Date.parse(doc['@timestamp'])), `${doc['@timestamp']} is a record's own time`);
    t.true(Date.parse(doc.event?.ingested ?? '') > Date.parse(doc['@timestamp']));
  }
});

test('bunyan fields become ECS fields: level words, request ids, HTTP access and audit outcomes', (t) => {
  const levels = new Set(docs.map((doc) => doc.log?.level));
  t.true(levels.has('info'));
  t.false([...levels].some((level) => typeof level === 'number'));
  const access = docs.find((doc) => doc.message === 'request' && doc.url?.path === '/auth/login');
  t.is(access?.http?.request?.method, 'POST');
  t.is(typeof access?.http?.response?.status_code, 'number');
  t.truthy(access?.trace?.id);
  const failure = docs.find((doc) => doc.event?.action === 'login.failure');
  t.is(failure?.event?.outcome, 'failure');
  t.is(failure?.event?.kind, 'event');
  t.is(docs.find((doc) => doc.event?.action === 'register')?.event?.outcome, 'success');
});

test("Elasticsearch's _field_caps on logs-cf-* reports @timestamp as a date, as Kibana's data view needs", async (t) => {
  const body = (await ok(es, 'GET', `/${logging.pattern}/_field_caps?fields=@timestamp,event.ingested,log.level`)) as {
    fields: Record<string, Record<string, { type: string; aggregatable: boolean }>>;
  };
  t.deepEqual(Object.keys(body.fields['@timestamp'] ?? {}), ['date']);
  t.true(body.fields['@timestamp']?.['date']?.aggregatable);
  t.deepEqual(Object.keys(body.fields['log.level'] ?? {}), ['keyword']);
  const count = (await ok(es, 'GET', `/${stream}/_count`)) as { count: number };
  t.is(count.count, corpus.lines.length);
});

test('a secret-named field logged on purpose reaches neither index', async (t) => {
  const everything = JSON.stringify([...(await allDocs(os)), ...(await allDocs(es))]);
  t.false(everything.includes(ROGUE_SECRET));
  t.false(everything.includes(ROGUE_TOKEN));
  const rogue = docs.find((doc) => doc.message === 'logged without the kit');
  t.is(rogue?.log?.level, 'error');
  t.deepEqual(rogue?.['cf'], { details: { sessionId: 'public-session-id' } });
});

test("a line that is not JSON keeps its text and the runtime's timestamp", (t) => {
  const plain = docs.find((doc) => doc.message === 'node:internal/process: plain text from a crash');
  t.truthy(plain);
  t.is(plain?.service, undefined);
  t.false(Number.isNaN(Date.parse(plain?.['@timestamp'] ?? '')));
});

test('keys a service invents add no mappings (dynamic: false below known objects)', async (t) => {
  // A stream of its own (same template), so the other tests' counts stay exact.
  const stream = 'logs-cf-mappingcheck';
  await ok(es, 'POST', `/${stream}/_doc?refresh=true`, { '@timestamp': new Date().toISOString(), message: 'first' });
  const before = JSON.stringify(await ok(es, 'GET', `/${stream}/_mapping`));
  const invented = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field_${i}`, i]));
  await ok(es, 'POST', `/${stream}/_doc?refresh=true`, {
    '@timestamp': new Date().toISOString(),
    cf: invented,
    ...invented,
  });
  t.is(JSON.stringify(await ok(es, 'GET', `/${stream}/_mapping`)), before);
});
