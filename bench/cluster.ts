// The platform on the real node (tools/embedded/src/node/), warm binaries and cached images: node start → Ready,
// `kubectl apply` of manifests/dev → every workload Ready, Vault pod Running → unsealed inside the cluster
// (compare with bench/unseal-latency.ts, the harness figure), and a login's latency over HTTPS through the Gateway
// (Traefik) against the same login through `npm start` after the node is gone (issue 14: the ratio). Baseline:
// starting the control plane alone (etcd + kube-apiserver), measured in the same run. Needs root.
import { solveCaptcha, type Challenge } from '@cf/embedded/captcha-answer';
import { startControlPlane } from '@cf/embedded/control-plane';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayClient } from '@cf/embedded/node/gateway-client';
import { cgroupPids, processesMentioning } from '@cf/embedded/node/host';
import { startNode, type RunningNode } from '@cf/embedded/node/node';
import { applyDevManifests, installAddOns, isPlatformChart, notReadyWorkloads } from '@cf/embedded/node/platform';
import { platformImages } from '@cf/embedded/node/prepare-node';
import { createVolumePool } from '@cf/embedded/node/storage';
import { freePort, scratchDir, spawnManaged } from '@cf/embedded/process';
import { formatMs, median, timeMs } from './stats.ts';

const LOGINS = 5;

/** One JSON call to the platform's `/api` (through the Gateway, or to npm start). */
type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

/** Registers an account (solving the real captcha), then times `LOGINS` logins one after another (ms each). */
async function loginLatencies(call: ApiCall, email: string): Promise<number[]> {
  const password = 'a benchmark password';
  const challenge = await call('GET', '/api/auth/captcha');
  if (challenge.status !== 200) throw new Error(`GET /api/auth/captcha: ${challenge.status}`);
  const captcha = await solveCaptcha(challenge.body as Challenge);
  const registered = await call('POST', '/api/auth/register', { email, password, captcha });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  const samples: number[] = [];
  for (let i = 0; i < LOGINS; i += 1) {
    const started = process.hrtime.bigint();
    const login = await call('POST', '/api/auth/login', { email, password });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  }
  return samples;
}

/** The same logins against `npm start` on a fresh state directory (started, measured, stopped). */
async function npmStartLoginLatencies(): Promise<number[]> {
  const state = scratchDir('bench-cluster-npm-start');
  const port = 20_000 + ((await freePort()) % 30_000);
  const log = join(state, 'npm-start.out');
  const proc = spawnManaged('npm', ['start'], {
    name: 'npm start',
    logFile: log,
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { CF_LOCAL_STATE: state, PORT: String(port) },
  });
  try {
    const deadline = Date.now() + 300_000;
    // The log file appears once the process writes to it.
    const output = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    while (!/ready in [\d.]+ s/.test(output())) {
      if (Date.now() > deadline) throw new Error(`npm start not ready:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await loginLatencies(async (method, path, body) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: {
          origin: `http://localhost:${port}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      return { status: response.status, body: await response.json() };
    }, 'bench-npm-start@example.org');
  } finally {
    await proc.stop(30_000, 'SIGINT');
  }
}

/** Resident memory of every process of the node (its components by command line, pods by cgroup), MiB. */
function nodeRssMiB(node: RunningNode): number {
  const pids = new Set([...processesMentioning(node.state.dir), ...cgroupPids(node.state.cgroupRoot)]);
  let kib = 0;
  for (const pid of pids) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kib / 1024;
}

/** Logins over HTTPS through the Gateway with the dev CA, once it answers (bounded: 5 min); [] when it never did. */
async function gatewayLoginLatencies(node: RunningNode): Promise<number[]> {
  const gateway = await gatewayClient(node);
  try {
    const deadline = Date.now() + 5 * 60_000;
    while ((await gateway.call('GET', '/api/auth/captcha').catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline) {
        console.log('login through the Gateway: the Gateway never answered within 5 min');
        return [];
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return await loginLatencies(
      (method, path, body) => gateway.call(method, path, body === undefined ? {} : { body }),
      'bench-gateway@example.org',
    );
  } finally {
    gateway.close();
  }
}

if (process.getuid?.() !== 0) {
  console.log('bench/cluster: needs root (a real node); skipped with this message');
  process.exit(1);
}

const baseline = await timeMs(async () => {
  const plane = await startControlPlane();
  await plane.stop();
});

// What test/e2e/platform.test.ts deploys: the dev images and every add-on of the Tiltfile, Traefik included.
const images = await platformImages(() => {}, { target: 'dev' });
const started = Date.now();
const node = await startNode({ images: images.map((i) => i.archive) });
const idleRss = nodeRssMiB(node);
let gatewayLogins: number[];
try {
  const startToReady = node.timings['nodeReady'] ?? Number.NaN;
  await createVolumePool(node, 6, '2Gi');
  await installAddOns(node);
  const applyStart = Date.now();
  await applyDevManifests(node, isPlatformChart);
  // Every Deployment and StatefulSet with all replicas Ready, bounded; what never gets there is listed.
  const deadline = Date.now() + 15 * 60_000;
  let notReady: string[] = [];
  let allReadyMs = Number.NaN;
  let vaultRunningAt: number | undefined;
  let vaultUnsealedAt: number | undefined;
  while (Date.now() < deadline) {
    notReady = await notReadyWorkloads(node);
    if (vaultRunningAt === undefined) {
      const phase = await node
        .kubectl(['-n', 'cf-vault', 'get', 'pod', 'vault-0', '-o', 'jsonpath={.status.phase}'])
        .catch(() => '');
      if (phase.trim() === 'Running') vaultRunningAt = Date.now();
    } else if (vaultUnsealedAt === undefined) {
      const status = await node
        .kubectl([
          '-n',
          'cf-vault',
          'exec',
          'vault-0',
          '-c',
          'vault',
          '--',
          'bao',
          'status',
          // The container's own VAULT_ADDR and CA: Vault listens on TLS only.
          '-format=json',
        ])
        .catch((error: Error) => error.message);
      if (/"sealed":\s*false/.test(status)) vaultUnsealedAt = Date.now();
    }
    if (notReady.length === 0) {
      allReadyMs = Date.now() - applyStart;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const loadedRss = nodeRssMiB(node);
  gatewayLogins = await gatewayLoginLatencies(node);
  console.log(`baseline: control plane (etcd + kube-apiserver) start ${formatMs(baseline)}`);
  console.log(`node start → Ready: ${formatMs(startToReady)} (${(startToReady / baseline).toFixed(1)} × baseline)`);
  console.log(
    `node timings: ${Object.entries(node.timings)
      .map(([k, v]) => `${k} ${formatMs(v)}`)
      .join(', ')}`,
  );
  console.log(
    Number.isNaN(allReadyMs)
      ? `apply → every workload Ready: not within 15 min; not Ready: ${notReady.join(', ')}`
      : `apply → every workload Ready: ${formatMs(allReadyMs)}`,
  );
  console.log(
    vaultRunningAt !== undefined && vaultUnsealedAt !== undefined
      ? `Vault pod Running → unsealed (in cluster): ${formatMs(vaultUnsealedAt - vaultRunningAt)} (polled every 0.5 s)`
      : 'Vault pod Running → unsealed: not observed',
  );
  console.log(`total with image checks: ${formatMs(Date.now() - started)}`);
  console.log(
    `memory (RSS of the node's processes): idle node ${idleRss.toFixed(0)} MiB, with the platform ${loadedRss.toFixed(0)} MiB`,
  );
} finally {
  await node.stop();
}
if (gatewayLogins.length > 0) {
  const local = await npmStartLoginLatencies();
  const ratio = median(gatewayLogins) / median(local);
  console.log(
    `login latency, median of ${LOGINS}: through the Gateway (HTTPS, Traefik, node) ${formatMs(median(gatewayLogins))}, ` +
      `through npm start ${formatMs(median(local))}: ${ratio.toFixed(2)} ×`,
  );
  console.log(
    `  samples: Gateway ${gatewayLogins.map(formatMs).join(', ')}; npm start ${local.map(formatMs).join(', ')}`,
  );
}
