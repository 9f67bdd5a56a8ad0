// The platform on the real node (tools/embedded/src/node/), warm binaries and cached images: node start → Ready,
// `kubectl apply` of manifests/dev → every workload Ready, and Vault pod Running → unsealed inside the cluster
// (compare with bench/unseal-latency.ts, the harness figure). Baseline: starting the control plane alone
// (etcd + kube-apiserver), measured in the same run. Needs root.
import { startControlPlane } from '@cf/embedded/control-plane';
import { readFileSync } from 'node:fs';
import { cgroupPids, processesMentioning } from '@cf/embedded/node/host';
import { startNode, type RunningNode } from '@cf/embedded/node/node';
import { applyDevManifests, installAddOns, isPlatformChart, notReadyWorkloads } from '@cf/embedded/node/platform';
import { platformImages } from '@cf/embedded/node/prepare-node';
import { createVolumePool } from '@cf/embedded/node/storage';
import { formatMs, timeMs } from './stats.ts';

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

if (process.getuid?.() !== 0) {
  console.log('bench/cluster: needs root (a real node); skipped with this message');
  process.exit(1);
}

const baseline = await timeMs(async () => {
  const plane = await startControlPlane();
  await plane.stop();
});

// What test/e2e/platform.test.ts deploys: the dev images, the add-ons but Traefik (its build does not finish here).
const images = await platformImages(() => {}, { traefik: false, target: 'dev' });
const started = Date.now();
const node = await startNode({ images: images.map((i) => i.archive) });
const idleRss = nodeRssMiB(node);
try {
  const startToReady = node.timings['nodeReady'] ?? Number.NaN;
  await createVolumePool(node, 6, '2Gi');
  await installAddOns(node, () => {}, ['gateway-api-crds', 'cert-manager', 'cloudnative-pg']);
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
          '--',
          'bao',
          'status',
          '-address=http://127.0.0.1:8200',
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
