// `kubernetes.*` proven on real software: real Filebeat 7.17 with the chart's own add_kubernetes_metadata settings
// watches a real kube-apiserver as the chart's own ServiceAccount and ClusterRole (nothing more), reads a
// CRI-format file named as the kubelet names it (/var/log/containers/<pod>_<namespace>_<container>-<id>.log) and
// finds the pod by the container id its status reports. No kubelet runs: the pod is bound to a Node object by
// `spec.nodeName` and its status written as a kubelet would. The event then goes through the real cf-logs ingest
// pipeline on OpenSearch 2.19 (the engine here with ingest processors) into the data stream under the chart's
// template, so the assertion is on the ECS document, not on Filebeat's event.
import test from 'ava';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Testing } from 'cdk8s';
import { LoggingChart } from '../../charts-ts/src/charts/logging/chart.ts';
import { filebeatConfig } from '../../charts-ts/src/charts/logging/filebeat-config.ts';
import { indexTemplate } from '../../charts-ts/src/charts/logging/index-template.ts';
import { ingestPipeline } from '../../charts-ts/src/charts/logging/ingest-pipeline.ts';
import { dataStreamName, logging } from '../../charts-ts/src/charts/logging/names.ts';
import { readEvents, startFilebeat, type FilebeatProcess } from '@cf/embedded/filebeat';
import { scratchDir, startTogether, waitFor } from '@cf/embedded/process';
import { startOpenSearch, type SearchEngine } from '@cf/embedded/search-engines';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';

const NODE = 'node-a';
const POD = { name: 'user-service-0', namespace: 'cf-apps', container: 'user-service' };
const CONTAINER_ID = randomBytes(32).toString('hex');
const stream = dataStreamName();
const KUBELET_LOG_DIR = dirname(logging.containerLogGlob);
const logFile = join(KUBELET_LOG_DIR, `${POD.name}_${POD.namespace}_${POD.container}-${CONTAINER_ID}.log`);

interface Event {
  kubernetes?: {
    namespace?: string;
    node?: { name?: string };
    pod?: { name?: string; uid?: string };
    container?: { name?: string };
    labels?: Record<string, string>;
  };
  service?: { name?: string };
  message?: string;
  [key: string]: unknown;
}

let cp: ControlPlane;
let os: SearchEngine;
let shipper: FilebeatProcess;
let shipped: Event;
let doc: Event;
let podUid: string;

function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', cp.kubeconfigPath, '--request-timeout=30s', ...args],
      { timeout: 60_000, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout)),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function ok(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await os.request(method, path, body);
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

test.before(async () => {
  try {
    await setUp();
  } catch (error) {
    console.error('SETUP FAILED', error);
    throw error;
  }
});

async function setUp(): Promise<void> {
  [cp, os] = await startTogether([startControlPlane(), startOpenSearch()]);
  const dir = scratchDir('filebeat-kubernetes');

  // The chart's own shipper identity: its ServiceAccount, ClusterRole and binding, from the synthesized chart.
  const chart = Testing.synth(new LoggingChart(Testing.app(), 'logging', 'dev')) as { kind: string }[];
  const rbac = chart.filter((o) => ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
  const objects = [
    ...[POD.namespace, logging.shipperNamespace].map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    })),
    { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: logging.filebeat.name, namespace: logging.shipperNamespace },
    },
    ...rbac,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD.name, namespace: POD.namespace, labels: { 'app.kubernetes.io/name': POD.container } },
      spec: { nodeName: NODE, containers: [{ name: POD.container, image: 'cf/user-service' }] },
    },
  ];
  await kubectl(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
  // What the kubelet reports once the container runs: its id, which names the log file.
  const now = new Date().toISOString();
  await kubectl([
    'patch',
    'pod',
    POD.name,
    '-n',
    POD.namespace,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        phase: 'Running',
        podIP: '10.244.0.7',
        containerStatuses: [
          {
            name: POD.container,
            containerID: `containerd://${CONTAINER_ID}`,
            image: 'cf/user-service',
            imageID: '',
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
          },
        ],
      },
    }),
  ]);
  podUid = (await kubectl(['get', 'pod', POD.name, '-n', POD.namespace, '-o', 'jsonpath={.metadata.uid}'])).trim();

  // Filebeat logs in as that ServiceAccount only.
  const token = (
    await kubectl(['create', 'token', logging.filebeat.name, '-n', logging.shipperNamespace, '--duration=1h'])
  ).trim();
  const kubeconfig = join(dir, 'kubeconfig.json');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') },
        },
      ],
      users: [{ name: 'filebeat', user: { token } }],
      contexts: [{ name: 'filebeat', context: { cluster: 'test', user: 'filebeat' } }],
      'current-context': 'filebeat',
    }),
    { mode: 0o600 },
  );

  // Filebeat 7.17 accepts only the kubelet's own directory for container-id matching ("valid value is
  // /var/log/containers/"), so the file goes there, under a random container id, read by its exact name, and is
  // removed afterwards.
  const containers = KUBELET_LOG_DIR;
  mkdirSync(containers, { recursive: true });
  const record = {
    name: 'user-service',
    hostname: POD.name,
    pid: 1,
    level: 30,
    msg: 'listening',
    time: new Date().toISOString(),
    v: 0,
  };
  writeFileSync(logFile, `${new Date().toISOString()} stdout F ${JSON.stringify(record)}\n`);

  const template = indexTemplate('dev') as { template: Record<string, unknown> };
  const { lifecycle: _lifecycle, ...openSearchTemplate } = template.template;
  await ok('PUT', `/_ingest/pipeline/${logging.pipeline}`, ingestPipeline());
  await ok('PUT', `/_index_template/${logging.template}`, { ...template, template: openSearchTemplate });

  const out = join(dir, 'out');
  shipper = await startFilebeat(
    filebeatConfig({
      paths: [logFile],
      output: { kind: 'file', path: out, filename: 'events' },
      kubernetesMetadata: { node: NODE, kubeConfig: kubeconfig },
    }),
    'filebeat-kubernetes',
  );
  // Filebeat 7.17 starts the metadata watcher in the background, so a line read before its first sync goes out
  // unenriched: the service keeps logging (a line every 2 s, as a live one would) until an event carries the pod.
  shipped = await waitFor(
    async () => {
      const enriched = (readEvents(join(out, 'events')) as Event[]).find((e) => e.kubernetes !== undefined);
      if (enriched === undefined) {
        appendFileSync(
          logFile,
          `${new Date().toISOString()} stdout F ${JSON.stringify({ ...record, time: new Date().toISOString() })}\n`,
        );
      }
      return enriched;
    },
    { what: 'Filebeat to ship a line with its pod', process: shipper.process, timeoutMs: 180_000, intervalMs: 2_000 },
  );
  const bulk = `${JSON.stringify({ create: {} })}\n${JSON.stringify(shipped)}\n`;
  const result = (await ok('POST', `/${stream}/_bulk?pipeline=${logging.pipeline}&refresh=true`, bulk)) as {
    errors: boolean;
    items: unknown[];
  };
  if (result.errors) throw new Error(`the pipeline refused the event: ${JSON.stringify(result.items)}`);
  const found = (await ok('POST', `/${stream}/_search`, {
    size: 1,
    query: { exists: { field: 'kubernetes.pod.name' } },
  })) as {
    hits: { hits: { _source: Event }[] };
  };
  doc = found.hits.hits[0]!._source;
}

test.after.always(async () => {
  await Promise.all([shipper?.stop(), os?.stop(), cp?.stop()]);
  rmSync(logFile, { force: true });
});

test("Filebeat, as the chart's ServiceAccount and ClusterRole, finds the pod of a container log file by its id", (t) => {
  t.is(shipped.kubernetes?.pod?.name, POD.name);
  t.is(shipped.kubernetes?.pod?.uid, podUid);
  t.is(shipped.kubernetes?.namespace, POD.namespace);
  t.is(shipped.kubernetes?.container?.name, POD.container);
  t.is(shipped.kubernetes?.node?.name, NODE);
});

test('the ECS document keeps kubernetes.pod.name, kubernetes.namespace and kubernetes.container.name', (t) => {
  t.is(doc.service?.name, 'user-service');
  t.is(doc.kubernetes?.pod?.name, POD.name);
  t.is(doc.kubernetes?.namespace, POD.namespace);
  t.is(doc.kubernetes?.container?.name, POD.container);
  t.is(doc.kubernetes?.node?.name, NODE);
});

test("the index template maps the pod's fields as keywords, so Kibana can filter and aggregate on them", async (t) => {
  const body = (await ok(
    'GET',
    `/${logging.pattern}/_field_caps?fields=kubernetes.pod.name,kubernetes.namespace,kubernetes.container.name`,
  )) as { fields: Record<string, Record<string, { aggregatable: boolean }>> };
  for (const field of ['kubernetes.pod.name', 'kubernetes.namespace', 'kubernetes.container.name']) {
    t.deepEqual(Object.keys(body.fields[field] ?? {}), ['keyword'], field);
    t.true(body.fields[field]?.['keyword']?.aggregatable, field);
  }
});
