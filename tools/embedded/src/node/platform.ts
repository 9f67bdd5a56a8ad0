// Deploying the platform onto a RunningNode the way `tilt up` does: the add-ons first (Gateway API, cert-manager
// and CloudNativePG CRDs at the Tiltfile's pinned versions; Traefik and its GatewayClass by running the Tiltfile's
// own commands), then every file of manifests/dev.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { versions } from '../build-versions.ts';
import { chartsCrdDirs } from '../charts-crds.ts';
import { runTiltInstalls } from './add-ons.ts';
import type { RunningNode } from './node.ts';

/**
 * The charts whose images all exist here: 07-observability and 08-logging need Grafana, Logstash and Kibana, which
 * cannot be obtained on this machine (FACTS.md).
 */
export const isPlatformChart = (file: string): boolean => /^0[0-6]-/.test(file);

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The Tiltfile's local_resources that install add-ons into the cluster, in its order (`postgres-ready` is a wait,
 * run after the charts); Traefik's image must exist (its build is long).
 */
export const TILT_ADD_ONS = [
  'gateway-api-crds',
  'cert-manager',
  'cloudnative-pg',
  'traefik',
  'gateway-class',
  'prometheus-operator-crds',
] as const;

/**
 * Installs the upstream CRDs the charts need besides the Tiltfile's (prometheus-operator, Barman Cloud) from the
 * Go module cache, then runs the Tiltfile's own add-on commands (add-ons.ts): `names`, default all of them.
 */
export async function installAddOns(
  node: RunningNode,
  progress: (line: string) => void = () => {},
  names: readonly string[] = TILT_ADD_ONS,
): Promise<void> {
  // The add-ons install their own CRDs (cert-manager's through its Helm release, which refuses CRDs it does not own).
  const { gatewayApi, certManager, cloudnativePg } = versions.crds;
  const theirs = new Set<string>([gatewayApi.module, certManager.module, cloudnativePg.module]);
  for (const source of await chartsCrdDirs(progress))
    if (!theirs.has(source.module))
      for (const file of source.files) await node.kubectl(['apply', '--server-side', '-f', file]);
  await runTiltInstalls(node, names, progress);
}

/** `kubectl apply` of every manifests/dev file in name order (the Tiltfile's k8s_yaml of the same files). */
export async function applyDevManifests(
  node: RunningNode,
  /** Which chart files; default all. */
  include: (file: string) => boolean = () => true,
): Promise<void> {
  const dir = join(repo, 'manifests', 'dev');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && include(f))
    .sort())
    await node.kubectl(['apply', '--server-side', '-f', join(dir, file)], undefined, 120_000);
}

/** The Deployments and StatefulSets, in every namespace, with fewer Ready replicas than they ask for (`kind ns/name`). */
export async function notReadyWorkloads(node: RunningNode): Promise<string[]> {
  const list = JSON.parse(await node.kubectl(['get', 'deployments,statefulsets', '-A', '-o', 'json'])) as {
    items: {
      kind: string;
      metadata: { namespace: string; name: string };
      spec: { replicas?: number };
      status: { readyReplicas?: number };
    }[];
  };
  return list.items
    .filter((w) => (w.status.readyReplicas ?? 0) < (w.spec.replicas ?? 1))
    .map((w) => `${w.kind} ${w.metadata.namespace}/${w.metadata.name}`);
}
