// What the real-node platform suites do to a running platform (test/e2e/platform*.test.ts): wait for it,
// read the unsealer's Events, run SQL in the CloudNativePG primary, replace pods, and call the services through a
// port-forward as a registered user.
import { request } from 'node:https';
import { solvedCaptcha } from '../support/captcha.ts';
import type { RunningNode } from '../support/node/node.ts';
import { notReadyWorkloads } from '../support/node/platform.ts';
import type { PortForward } from '../support/node/port-forward.ts';
import { runningPods } from '../support/node/probes.ts';
import { waitFor } from '../support/process.ts';

export async function kubectlWait(node: RunningNode, args: string[], timeoutSeconds: number): Promise<string> {
  return node.kubectl(['wait', ...args, `--timeout=${timeoutSeconds}s`], undefined, (timeoutSeconds + 30) * 1000);
}

/**
 * Every Deployment and StatefulSet of the node has its replicas Ready through their probes. Read from their status,
 * not `kubectl rollout status`, which refuses a StatefulSet whose update strategy is OnDelete (Vault's).
 */
export async function everyWorkloadReady(node: RunningNode): Promise<void> {
  await waitFor(async () => (await notReadyWorkloads(node)).length === 0, {
    what: 'every Deployment and StatefulSet Ready',
    timeoutMs: 10 * 60_000,
    intervalMs: 2000,
  });
}

/** Scales a workload up to `replicas` unless it has that many already (dev runs one of each). */
export async function scaleToAtLeast(
  node: RunningNode,
  namespace: string,
  workload: string,
  replicas: number,
): Promise<void> {
  const current = Number(await node.kubectl(['-n', namespace, 'get', workload, '-o', 'jsonpath={.spec.replicas}']));
  if (current < replicas) await node.kubectl(['-n', namespace, 'scale', workload, `--replicas=${replicas}`]);
}

/** The unsealer's Events of `reason` in cf-vault: which replica recorded them, about which pod. */
export async function unsealerEvents(
  node: RunningNode,
  reason: string,
): Promise<{ instance: string; podUid: string }[]> {
  const list = JSON.parse(
    await node.kubectl(['-n', 'cf-vault', 'get', 'events', '--field-selector', `reason=${reason}`, '-o', 'json']),
  ) as { items: { reportingInstance?: string; involvedObject: { uid?: string } }[] };
  return list.items.map((e) => ({ instance: e.reportingInstance ?? '', podUid: e.involvedObject.uid ?? '' }));
}

/** A statement run by psql in the CloudNativePG primary (the instance's own superuser, over its socket). */
export async function sql(node: RunningNode, database: string, statement: string): Promise<string> {
  const [primary] = await runningPods(node, 'cf-data', {
    'cnpg.io/cluster': 'cf-postgres',
    'cnpg.io/instanceRole': 'primary',
  });
  if (primary === undefined) throw new Error('no running CloudNativePG primary');
  const out = await node.kubectl([
    '-n',
    'cf-data',
    'exec',
    primary.name,
    '-c',
    'postgres',
    '--',
    'psql',
    '-d',
    database,
    '-tAc',
    statement,
  ]);
  return out.trim();
}

/** Deletes `pod` and waits until its StatefulSet's replacement (same name, new uid) is Ready; ms to Ready. */
export async function replacePod(
  node: RunningNode,
  namespace: string,
  pod: string,
): Promise<{ uid: string; ms: number }> {
  const uid = async (): Promise<string> =>
    (await node.kubectl(['-n', namespace, 'get', 'pod', pod, '-o', 'jsonpath={.metadata.uid}'])).trim();
  const before = await uid();
  const t0 = Date.now();
  await node.kubectl(['-n', namespace, 'delete', 'pod', pod, '--wait=false']);
  const after = await waitFor(async () => ((await uid()) !== before ? await uid() : undefined), {
    what: `a new ${pod}`,
    timeoutMs: 180_000,
    intervalMs: 500,
  });
  await kubectlWait(node, ['-n', namespace, '--for=condition=Ready', `pod/${pod}`], 600);
  return { uid: after, ms: Date.now() - t0 };
}

/** JSON over a port-forward; rejects unless the status is `expect`. */
export async function api(
  base: PortForward,
  method: string,
  path: string,
  expect: number,
  options: { token?: string; body?: unknown } = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${base.port}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== expect) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** A registered user whose address is verified (the mail cannot be delivered here), and an access token. */
export async function verifiedUser(node: RunningNode, users: PortForward): Promise<string> {
  const email = `chaos-${Date.now()}@example.org`;
  const password = 'a chaos test password';
  const captcha = await solvedCaptcha(`http://127.0.0.1:${users.port}/auth/captcha`);
  await api(users, 'POST', '/auth/register', 201, { body: { email, password, captcha } });
  // The link in the verification mail (which waits in the queue: dev has no relay) would set just this.
  await sql(node, 'user_service', `UPDATE users SET email_verified_at = now() WHERE email_normalized = '${email}'`);
  const login = await api(users, 'POST', '/auth/login', 200, { body: { email, password } });
  return login['access_token'] as string;
}

/** Which pod holds each account's lease (integration-service's ownership table). */
export async function accountOwners(node: RunningNode, accountIds: readonly string[]): Promise<Map<string, string>> {
  const resources = accountIds.map((id) => `'account:${id}'`).join(',');
  const rows = await sql(
    node,
    'integration_service',
    `SELECT resource, owner FROM leases WHERE resource IN (${resources}) AND expires_at > now()`,
  );
  return new Map(
    rows
      .split('\n')
      .filter((row) => row !== '')
      .map((row) => {
        const [resource, owner] = row.split('|') as [string, string];
        return [resource.slice('account:'.length), owner];
      }),
  );
}

/** GET over a port-forward; answers the status and the start of the body. */
export async function get(
  url: string,
  tls: { ca: string; servername: string } | undefined,
): Promise<{ status: number; body: string }> {
  if (tls === undefined) {
    const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: (await response.text()).slice(0, 2000) };
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: tls.ca, servername: tls.servername, timeout: 15_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: body.slice(0, 2000) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** The admin UIs of docs/network-model.md, as the Tiltfile forwards them. */
export const ADMIN_UIS = [
  { name: 'Vault UI', namespace: 'cf-vault', service: 'vault', port: 8200, path: '/ui/', tls: true },
  { name: 'Grafana', namespace: 'cf-observability', service: 'grafana', port: 3000, path: '/login', tls: false },
  {
    name: 'Prometheus',
    namespace: 'cf-observability',
    service: 'prometheus-operated',
    port: 9090,
    path: '/-/ready',
    tls: false,
  },
  {
    name: 'Alertmanager',
    namespace: 'cf-observability',
    service: 'alertmanager-operated',
    port: 9093,
    path: '/-/ready',
    tls: false,
  },
  { name: 'Kibana', namespace: 'cf-logging', service: 'kibana', port: 5601, path: '/api/status', tls: true },
] as const;
