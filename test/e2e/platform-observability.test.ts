import test from 'ava';
import {
  observabilityImages,
  observabilityManifest,
  type ManifestObject,
} from '../support/node/observability-images.ts';
import type { RunningNode } from '../support/node/node.ts';
import { projectImageName } from '../support/node/platform-images.ts';
import { bringUpPlatform } from '../support/node/platform-up.ts';
import { isPlatformChart } from '../support/node/platform.ts';

// The monitoring stack of manifests/dev/07-observability.yaml on a real node, on top of the dev platform (deployed
// as test/e2e/platform.test.ts deploys it): the real prometheus-operator turns our Prometheus and Alertmanager into
// pods, Prometheus scrapes the platform through the PodMonitors and NetworkPolicies the charts generate, and an
// alert raised by a real outage reaches a webhook through the dev Alertmanager route, whose URL the Alertmanager
// pod's Vault agent renders from Vault. One node for the file; the tests run in order.
//
// Left out of 07 (nothing else is changed): Grafana's Deployment (Grafana cannot be obtained here, FACTS.md) and
// kube-state-metrics' Deployment (the module proxy refuses k8s.io/kube-state-metrics/v2); their other objects are
// applied. Everything stays on the machine: the webhook receiver is a pod on the node.

/** The Tiltfile's add-ons: platform.test.ts' but Traefik (nothing here goes through the Gateway), and the monitoring CRDs. */
const ADD_ONS = ['gateway-api-crds', 'cert-manager', 'cloudnative-pg', 'prometheus-operator-crds'] as const;
/** The Deployments of 07-observability whose images cannot be obtained here. */
const LEFT_OUT = new Set(['Deployment/grafana', 'Deployment/kube-state-metrics']);
const OBS = 'cf-observability';
/** The webhook receiver's namespace and name (Service, Deployment, ServiceAccount): a test fixture, not the chart's. */
const SINK = { namespace: 'alert-sink', name: 'webhook-sink', port: 8080 } as const;
const SINK_URL = `http://${SINK.name}.${SINK.namespace}.svc:${SINK.port}/alerts`;

let node: RunningNode;
const timings: Record<string, number> = {};
/** When 07-observability was applied (ms since epoch). */
let observabilityApplied = 0;

async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** GET through the API server's service proxy (no port-forward process to manage). */
async function viaProxy<T>(service: string, path: string): Promise<T> {
  return JSON.parse(
    await node.kubectl(['get', '--raw', `/api/v1/namespaces/${OBS}/services/${service}/proxy${path}`]),
  ) as T;
}

/** `bao` in the Vault server's container (its environment names the local listener and the CA). */
function bao(args: string[], options: { token?: string; input?: string } = {}): Promise<string> {
  const env = options.token === undefined ? [] : ['env', `BAO_TOKEN=${options.token}`];
  return node.kubectl(
    ['-n', 'cf-vault', 'exec', ...(options.input === undefined ? [] : ['-i']), 'vault-0', '-c', 'vault', '--']
      .concat(env)
      .concat(['bao', ...args]),
    options.input,
  );
}

/** A Vault token for a ServiceAccount through Kubernetes auth (audience `vault`, as the charts' pods log in). */
async function vaultLogin(namespace: string, serviceAccount: string, role: string): Promise<string> {
  const jwt = (
    await node.kubectl(['-n', namespace, 'create', 'token', serviceAccount, '--audience=vault', '--duration=10m'])
  ).trim();
  return (await bao(['write', '-field=token', 'auth/kubernetes/login', `role=${role}`, `jwt=${jwt}`])).trim();
}

/**
 * Writes the dev receiver's URL where the Alertmanager's agent reads it, as an administrator would: OpenBao mints no
 * root token from unseal keys, so the administrator's way in is the unsealer's role (root-equivalent by design,
 * operators/vault-unsealer/README.md), used here only to grant the receiver's ServiceAccount write access to that
 * one path.
 */
async function writeWebhookUrl(): Promise<void> {
  const admin = await vaultLogin('cf-vault', 'vault-unsealer', 'vault-unsealer');
  await bao(['policy', 'write', 'test-alert-sink', '-'], {
    token: admin,
    input: 'path "secret/data/observability/alertmanager" {\n  capabilities = ["create", "update"]\n}\n',
  });
  await bao(
    [
      'write',
      'auth/kubernetes/role/test-alert-sink',
      `bound_service_account_names=${SINK.name}`,
      `bound_service_account_namespaces=${SINK.namespace}`,
      'audience=vault',
      'token_policies=test-alert-sink',
      'token_ttl=300',
    ],
    { token: admin },
  );
  const writer = await vaultLogin(SINK.namespace, SINK.name, 'test-alert-sink');
  // The KV v2 data endpoint itself (`kv put` would first look the mount up, a path this policy does not grant).
  await bao(['write', 'secret/data/observability/alertmanager', '-'], {
    token: writer,
    input: JSON.stringify({ data: { 'ops-webhook-url': SINK_URL } }),
  });
}

/**
 * The receiver: a pod of a project image (it has Node) answering every POST and logging its body as one JSON
 * line. The dev profile allows Alertmanager no egress but to Vault (receivers are a prod flow in
 * docs/network-model.md), so the test adds the one flow to this receiver.
 */
function sinkManifest(): string {
  const script = [
    "require('node:http').createServer((req, res) => {",
    "  let body = '';",
    "  req.on('data', (chunk) => (body += chunk));",
    "  req.on('end', () => { console.log(JSON.stringify({ path: req.url, body: JSON.parse(body || 'null') })); res.end('ok'); });",
    `}).listen(${SINK.port});`,
  ].join('\n');
  const labels = { 'app.kubernetes.io/name': SINK.name };
  const restricted = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    runAsUser: 1000,
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SINK.namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SINK.name, namespace: SINK.namespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: SINK.name, namespace: SINK.namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: SINK.name,
            containers: [
              {
                name: 'sink',
                image: projectImageName('user-service'),
                imagePullPolicy: 'IfNotPresent',
                command: ['node', '-e', script],
                ports: [{ name: 'http', containerPort: SINK.port }],
                readinessProbe: { tcpSocket: { port: SINK.port }, periodSeconds: 2 },
                securityContext: restricted,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: SINK.name, namespace: SINK.namespace },
      spec: { selector: labels, ports: [{ name: 'http', port: SINK.port, targetPort: SINK.port }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'test-alertmanager-to-webhook-sink', namespace: OBS },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'alertmanager' } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': SINK.namespace } } }],
            ports: [{ protocol: 'TCP', port: SINK.port }],
          },
        ],
      },
    },
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** 07-observability as generated, minus the objects whose images cannot be obtained here. */
function runnableObservability(): ManifestObject[] {
  return observabilityManifest().filter((o) => !LEFT_OUT.has(`${o.kind}/${o.metadata.name}`));
}

test.before(async (t) => {
  t.timeout(120 * 60_000);
  const log = (line: string): void => t.log(line);
  const up = await bringUpPlatform({
    addOns: ADD_ONS,
    charts: isPlatformChart,
    extraImages: observabilityImages,
    // PostgreSQL and Vault as in the platform suite, Prometheus' and Alertmanager's claims, and spares.
    volumes: 8,
    progress: log,
    // The platform suites take the machine's one node too, for 15–30 min each.
    lockTimeoutMs: 60 * 60_000,
  });
  node = up.node;
  Object.assign(timings, up.timings);
  t.log(`node timings (ms): ${JSON.stringify(node.timings)}`);
  // The stack's Vault agent reads the receiver URL once at start: Vault must be configured and the URL written.
  await eventually('vault-0 Ready (initialized and unsealed by the unsealer)', 10 * 60_000, async () => {
    const ready = await node.kubectl([
      ...['-n', 'cf-vault', 'get', 'pod', 'vault-0'],
      ...['-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'],
    ]);
    return ready === 'True' ? true : undefined;
  });
  await eventually('the unsealer configures Vault', 5 * 60_000, async () => {
    const events = await node.kubectl([
      ...['-n', 'cf-vault', 'get', 'events'],
      ...['--field-selector', 'reason=Configured', '-o', 'name'],
    ]);
    return events.trim() === '' ? undefined : true;
  });
  timings['vaultConfigured'] = Date.now() - up.applied;
  await node.kubectl(['apply', '--server-side', '-f', '-'], sinkManifest());
  await node.kubectl(
    ['-n', SINK.namespace, 'rollout', 'status', `deployment/${SINK.name}`, '--timeout=180s'],
    undefined,
    200_000,
  );
  await writeWebhookUrl();
  await node.kubectl(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: runnableObservability() }),
    120_000,
  );
  observabilityApplied = Date.now();
});

test.after.always(async (t) => {
  t.log(`timings (ms): ${JSON.stringify(timings)}`);
  if (node !== undefined) {
    t.log(await node.kubectl(['get', 'pods', '-A', '-o', 'wide']).catch((e: Error) => e.message));
    for (const args of [
      ['-n', OBS, 'get', 'events', '--sort-by=.lastTimestamp'],
      ['-n', OBS, 'logs', 'deployment/prometheus-operator', '--tail=20'],
      ['-n', OBS, 'logs', 'statefulset/alertmanager-alertmanager', '--all-containers', '--tail=20'],
      ['-n', SINK.namespace, 'logs', `deployment/${SINK.name}`, '--tail=20'],
    ])
      t.log(await node.kubectl(args).catch((e: Error) => e.message));
  }
  await node?.stop();
});

test.serial('the prometheus-operator reconciles the Prometheus and the Alertmanager into Ready pods', async (t) => {
  await node.kubectl(
    ['-n', OBS, 'rollout', 'status', 'deployment/prometheus-operator', '--timeout=300s'],
    undefined,
    330_000,
  );
  for (const kind of ['prometheuses', 'alertmanagers'])
    await node.kubectl(
      ['-n', OBS, 'wait', `${kind}.monitoring.coreos.com`, '--all', '--for=condition=Available', '--timeout=600s'],
      undefined,
      630_000,
    );
  for (const set of ['prometheus-prometheus', 'alertmanager-alertmanager'])
    await node.kubectl(['-n', OBS, 'rollout', 'status', `statefulset/${set}`, '--timeout=300s'], undefined, 330_000);
  timings['stackReady'] = Date.now() - observabilityApplied;
  const ready = await node.kubectl([
    '-n',
    OBS,
    'get',
    'pods',
    '-l',
    'app.kubernetes.io/name in (prometheus,alertmanager)',
    '-o',
    'jsonpath={range .items[*]}{.metadata.labels.app\\.kubernetes\\.io/name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
  ]);
  t.deepEqual(ready.trim().split('\n').sort(), ['alertmanager=True', 'prometheus=True']);
});

interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

test.serial("Prometheus scrapes the platform's services, the unsealer and Vault, and every one is up", async (t) => {
  const jobs = ['user-service', 'api-gateway', 'integration-service', 'vault-unsealer', 'vault'];
  // The services started with the platform; they are Ready once they have logged in to Vault and migrated.
  for (const workload of ['deployment/user-service', 'deployment/api-gateway', 'statefulset/integration-service'])
    await node.kubectl(['-n', 'cf-apps', 'rollout', 'status', workload, '--timeout=600s'], undefined, 630_000);
  const started = Date.now();
  let seen: Target[] = [];
  const health = (): Record<string, string> =>
    Object.fromEntries(
      jobs.map((job) => {
        const of = seen.filter((target) => target.labels['job'] === job);
        return [job, of.length === 0 ? 'no target' : of.map((target) => target.health + target.lastError).join(', ')];
      }),
    );
  // Scrapes are 30 s apart: a new target is 'unknown' until its first one.
  await eventually('every job up', 3 * 60_000, async () => {
    seen = (await viaProxy<{ data: { activeTargets: Target[] } }>('prometheus-operated:web', '/api/v1/targets')).data
      .activeTargets;
    return Object.values(health()).every((h) => h === 'up') ? true : undefined;
  }).catch(() => undefined);
  timings['targetsUp'] = Date.now() - started;
  t.deepEqual(health(), Object.fromEntries(jobs.map((job) => [job, 'up'])));
});

interface Notification {
  path: string;
  body: { receiver: string; status: string; alerts: { status: string; labels: Record<string, string> }[] };
}

test.serial(
  'api-gateway failing to start fires ServiceDown, which Alertmanager delivers to the dev webhook named in Vault',
  async (t) => {
    t.timeout(15 * 60_000);
    // A Deployment scaled to 0 leaves no target, hence no `up` series for `up == 0` to match: the outage that
    // ServiceDown is for is a pod that exists and does not answer. Recreate, so no old pod keeps serving.
    const crash = [
      { op: 'replace', path: '/spec/strategy', value: { type: 'Recreate' } },
      { op: 'add', path: '/spec/template/spec/containers/0/command', value: ['node', '-e', 'process.exit(1)'] },
    ];
    await node.kubectl([
      '-n',
      'cf-apps',
      'patch',
      'deployment/api-gateway',
      '--type=json',
      '-p',
      JSON.stringify(crash),
    ]);
    const stopped = Date.now();
    // ServiceDown has `for: 3m` on 30 s scrapes and evaluations; the cf-apps route waits group_wait 30 s.
    const delivered = await eventually('ServiceDown at the webhook', 10 * 60_000, async () => {
      const lines = (await node.kubectl(['-n', SINK.namespace, 'logs', `deployment/${SINK.name}`])).split('\n');
      return lines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Notification)
        .find((n) =>
          n.body.alerts.some(
            (a) =>
              a.status === 'firing' && a.labels['alertname'] === 'ServiceDown' && a.labels['job'] === 'api-gateway',
          ),
        );
    });
    timings['alertDeliveredAfterStop'] = Date.now() - stopped;
    const alert = delivered.body.alerts.find((a) => a.labels['alertname'] === 'ServiceDown')!;
    t.is(delivered.body.receiver, 'ops-webhook');
    t.like(alert.labels, { severity: 'critical', namespace: 'cf-apps', job: 'api-gateway' });
  },
);
