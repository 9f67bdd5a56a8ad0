import test from 'ava';
import type { Challenge } from '@cf/embedded/captcha-answer';
import { runTiltInstalls, type AddOnRun } from '../support/node/add-ons.ts';
import type { RunningNode } from '../support/node/node.ts';
import { solveCaptcha } from '../support/captcha.ts';
import { gatewayClient, type GatewayClient } from '../support/node/gateway-client.ts';
import { isPlatformChart, notReadyWorkloads, TILT_ADD_ONS } from '../support/node/platform.ts';
import { bringUpPlatform } from '../support/node/platform-up.ts';
import { kubectlWait } from './platform-ops.ts';

// manifests/dev on a real node, deployed as `tilt up` deploys it: the Tiltfile's add-on commands (downloads replaced
// by the same versions from the Go module cache), then the chart files in order. One node for the file; the tests
// run in order and the last one tears it down.
/** Every add-on of the Tiltfile: the CRDs (Gateway API, prometheus-operator), cert-manager, CloudNativePG, Traefik and its GatewayClass. */
const ADD_ONS = TILT_ADD_ONS;
let node: RunningNode;
const timings: Record<string, number> = {};
let addOnRuns: AddOnRun[] = [];
/** When the last manifest was applied (ms since epoch). */
let applied = 0;

test.before(async (t) => {
  t.timeout(60 * 60_000);
  // 07-observability and 08-logging are left out: Grafana, Logstash and Kibana cannot be obtained here.
  const up = await bringUpPlatform({
    addOns: ADD_ONS,
    charts: isPlatformChart,
    traefik: true,
    volumes: 6,
    progress: (line) => t.log(line),
  });
  node = up.node;
  addOnRuns = up.addOnRuns;
  applied = up.applied;
  Object.assign(timings, up.timings);
  t.log(`node timings (ms): ${JSON.stringify(node.timings)}`);
  t.log(`add-ons (ms): ${JSON.stringify(addOnRuns)}`);
});

test.after.always(async (t) => {
  t.log(`timings (ms): ${JSON.stringify(timings)}`);
  if (node !== undefined) {
    const pods = await node.kubectl(['get', 'pods', '-A', '-o', 'wide']).catch((e: Error) => e.message);
    t.log(pods);
  }
  await node?.stop();
});

/** The events the unsealer recorded with this reason on objects in cf-vault (message text only). */
async function unsealerEvents(reason: string): Promise<string[]> {
  const out = await node.kubectl([
    '-n',
    'cf-vault',
    'get',
    'events',
    '--field-selector',
    `reason=${reason}`,
    '-o',
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  return out.split('\n').filter((line) => line !== '');
}

test.serial('cert-manager issues every Certificate of the dev manifests', async (t) => {
  await kubectlWait(node, ['--for=condition=Ready', 'certificates.cert-manager.io', '--all', '--all-namespaces'], 300);
  const names = await node.kubectl(['get', 'certificates', '-A', '-o', 'jsonpath={.items[*].metadata.name}']);
  t.true(names.split(' ').includes('vault-tls'), names);
});

test.serial('the unsealer pod initializes and unseals Vault, which then turns Ready', async (t) => {
  await kubectlWait(node, ['-n', 'cf-vault', '--for=condition=Ready', 'pod/vault-0'], 600);
  timings['vaultReady'] = Date.now() - applied;
  const status = JSON.parse(
    await node.kubectl(['-n', 'cf-vault', 'exec', 'vault-0', '-c', 'vault', '--', 'bao', 'status', '-format=json']),
  ) as { initialized: boolean; sealed: boolean };
  t.like(status, { initialized: true, sealed: false });
  t.is((await unsealerEvents('Initialized')).length, 1);
  t.true((await unsealerEvents('Unsealed')).length >= 1);
});

test.serial('the CloudNativePG cluster comes up Ready (the Tiltfile postgres-ready wait)', async (t) => {
  await runTiltInstalls(node, ['postgres-ready']);
  timings['postgresReady'] = Date.now() - applied;
  const cluster = JSON.parse(
    await node.kubectl(['-n', 'cf-data', 'get', 'clusters.postgresql.cnpg.io', 'cf-postgres', '-o', 'json']),
  ) as { spec: { instances: number }; status: { readyInstances?: number } };
  t.is(cluster.status.readyInstances, cluster.spec.instances);
});

test.serial(
  'the unsealer applies the Vault configuration (engines, database roles, Kubernetes auth roles)',
  async (t) => {
    const deadline = Date.now() + 5 * 60_000;
    let configured = await unsealerEvents('Configured');
    while (configured.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      configured = await unsealerEvents('Configured');
    }
    timings['vaultConfigured'] = Date.now() - applied;
    t.not(
      configured.length,
      0,
      `never Configured; failures: ${(await unsealerEvents('ConfigurationFailed')).join('\n')}`,
    );
  },
);

for (const [kind, name] of [
  ['deployment', 'user-service'],
  ['deployment', 'api-gateway'],
  ['statefulset', 'integration-service'],
] as const) {
  test.serial(
    `${name} logs in to Vault with its ServiceAccount token and turns Ready through its probes`,
    async (t) => {
      await node.kubectl(
        ['-n', 'cf-apps', 'rollout', 'status', `${kind}/${name}`, '--timeout=600s'],
        undefined,
        630_000,
      );
      timings[`${name}Ready`] = Date.now() - applied;
      t.false(
        (await notReadyWorkloads(node)).some((w) => w.endsWith(` cf-apps/${name}`)),
        `${name} is not Ready`,
      );
    },
  );
}

test.serial('web turns Ready through its probes', async (t) => {
  await node.kubectl(['-n', 'cf-apps', 'rollout', 'status', 'deployment/web', '--timeout=300s'], undefined, 330_000);
  t.false((await notReadyWorkloads(node)).includes('Deployment cf-apps/web'), 'web is not Ready');
});

test.serial('every Deployment and StatefulSet of the platform is Ready', async (t) => {
  t.deepEqual(await notReadyWorkloads(node), []);
  timings['allReady'] = Date.now() - applied;
});

interface Condition {
  type: string;
  status: string;
  message?: string;
}

/** The Gateway's conditions and each of its HTTPRoutes' conditions for that Gateway, by `Kind/name`. */
async function tlsEntryConditions(): Promise<Record<string, Condition[]>> {
  const list = JSON.parse(await node.kubectl(['-n', 'cf-apps', 'get', 'gateways,httproutes', '-o', 'json'])) as {
    items: {
      kind: string;
      metadata: { name: string };
      status?: { conditions?: Condition[]; parents?: { conditions?: Condition[] }[] };
    }[];
  };
  return Object.fromEntries(
    list.items.map((o) => [
      `${o.kind}/${o.metadata.name}`,
      o.kind === 'Gateway'
        ? (o.status?.conditions ?? [])
        : (o.status?.parents ?? []).flatMap((p) => p.conditions ?? []),
    ]),
  );
}

test.serial('Traefik programs the Gateway and accepts its HTTPRoutes with every backend resolved', async (t) => {
  const wanted: Record<string, string[]> = {
    'Gateway/cf-gateway': ['Accepted', 'Programmed'],
    'HTTPRoute/https-redirect': ['Accepted', 'ResolvedRefs'],
    'HTTPRoute/web': ['Accepted', 'ResolvedRefs'],
    'HTTPRoute/api': ['Accepted', 'ResolvedRefs'],
  };
  const unmet = (conditions: Record<string, Condition[]>): string[] =>
    Object.entries(wanted).flatMap(([object, types]) =>
      types
        .filter((type) => conditions[object]?.find((c) => c.type === type)?.status !== 'True')
        .map((type) => `${object} ${type}: ${JSON.stringify(conditions[object]?.find((c) => c.type === type))}`),
    );
  const deadline = Date.now() + 5 * 60_000;
  let missing = unmet(await tlsEntryConditions());
  while (missing.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    missing = unmet(await tlsEntryConditions());
  }
  timings['gatewayProgrammed'] = Date.now() - applied;
  t.deepEqual(missing, []);
});

test.serial(
  'from the host over HTTPS through the Gateway with the dev CA: register, log in, connect a demo Telegram account, see it, log out',
  async (t) => {
    const gateway: GatewayClient = await gatewayClient(node);
    t.teardown(() => gateway.close());
    const page = await gateway.call('GET', '/');
    t.is(page.status, 200, 'the web UI answers at /');
    const challenge = await gateway.call('GET', '/api/auth/captcha');
    t.is(challenge.status, 200, JSON.stringify(challenge.body));
    const email = 'through-the-gateway@example.org';
    const password = 'a gateway password';
    const captcha = await solveCaptcha(challenge.body as unknown as Challenge, 'GET /api/auth/captcha');
    const registered = await gateway.call('POST', '/api/auth/register', { body: { email, password, captcha } });
    t.is(registered.status, 201, JSON.stringify(registered.body));

    const started = Date.now();
    const login = await gateway.call('POST', '/api/auth/login', {
      body: { email, password, includeRefreshToken: true },
    });
    timings['gatewayLogin'] = Date.now() - started;
    t.is(login.status, 200, JSON.stringify(login.body));
    const token = login.body['access_token'] as string;

    // Demo phones not ending in 2 connect with the demo code alone (integration-service's TELEGRAM_MODE=demo).
    const phone = '+15550001113';
    const begun = await gateway.call('POST', '/api/telegram/logins/phone', { token, body: { phone } });
    t.is(begun.status, 201, JSON.stringify(begun.body));
    const coded = await gateway.call('POST', `/api/telegram/logins/${String(begun.body['loginId'])}/code`, {
      token,
      body: { code: '12345' },
    });
    t.is(coded.body['state'], 'connected', JSON.stringify(coded.body));
    const listed = await gateway.call('GET', '/api/telegram/accounts', { token });
    const accounts = listed.body['accounts'] as { phone: string | null; state: string }[];
    t.deepEqual(
      accounts.map((a) => [a.phone, a.state]),
      [[phone, 'connected']],
    );

    const out = await gateway.call('POST', '/api/auth/logout', {
      body: { refresh_token: login.body['refresh_token'] },
    });
    t.is(out.status, 204);
    // The gateway learns of the ended session from user-service's revocation feed within seconds.
    const deadline = Date.now() + 30_000;
    let after = await gateway.call('GET', '/api/telegram/accounts', { token });
    while (after.status !== 401 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await gateway.call('GET', '/api/telegram/accounts', { token });
    }
    t.is(after.status, 401, 'the logged-out access token is refused');
  },
);

test.serial('every Tiltfile add-on command succeeds again on the running platform (a second tilt up)', async (t) => {
  const runs = await runTiltInstalls(node, [...ADD_ONS, 'postgres-ready']);
  timings['addOnsAgain'] = runs.reduce((sum, r) => sum + r.ms, 0);
  t.deepEqual(
    runs.map((r) => r.name),
    [...ADD_ONS, 'postgres-ready'],
  );
});

test.serial('a dev container whose program crashes exits, and the kubelet restarts it to Ready', async (t) => {
  const pod = (
    await node.kubectl(['-n', 'cf-apps', 'get', 'pods', '-l', 'app.kubernetes.io/name=user-service', '-o', 'name'])
  )
    .trim()
    .split('\n')[0]!;
  const restarts = async (): Promise<number> =>
    Number(
      await node.kubectl(['-n', 'cf-apps', 'get', pod, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']),
    );
  const before = await restarts();
  // The program, not the watcher (PID 1): what a crash of the service looks like to nodemon.
  const killer = [
    "const fs = require('fs');",
    "for (const p of fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d) && d !== '1')) {",
    "  const cmd = fs.readFileSync('/proc/' + p + '/cmdline', 'utf8');",
    "  if (cmd.includes('src/main.ts') && !cmd.includes('nodemon')) process.kill(Number(p), 'SIGKILL');",
    '}',
  ].join('\n');
  await node.kubectl(['-n', 'cf-apps', 'exec', pod, '--', 'node', '-e', killer]);
  await kubectlWait(
    node,
    ['-n', 'cf-apps', '--for=jsonpath={.status.containerStatuses[0].restartCount}=' + (before + 1), pod],
    120,
  );
  await kubectlWait(node, ['-n', 'cf-apps', '--for=condition=Ready', pod], 300);
  t.is(await restarts(), before + 1);
});
