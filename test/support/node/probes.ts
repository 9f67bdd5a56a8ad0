// Observing what the node's NetworkPolicies let through: which (source pod, address, port) connect. A source is
// either a real pod — the probe runs in an ephemeral container, which shares the pod's network namespace and so its
// address and labels, without a second pod carrying those labels (Services, the unsealer's pod watch and the
// controllers would take such a pod for the workload) — or, for a workload this run does not deploy, a stand-in
// pod with the workload's labels that also listens on its ports.
import { waitFor } from '../process.ts';
import { NODE_IMAGES } from './images.ts';
import type { RunningNode } from './node.ts';

const PROBE_CONTAINER = 'reach-probe';
/** How long a probe container or stand-in lives: it only has to outlast the probing. */
const PROBE_LIFETIME_SECONDS = 1800;

/** What Pod Security `restricted` (enforced in our namespaces) demands of every container. */
const RESTRICTED = {
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Where probes run: a container of a pod that has BusyBox's `sh`, `nc` and `nslookup`. */
export interface ProbeSource {
  namespace: string;
  pod: string;
  container: string;
}

/** One attempted connection; `key` names it in the answer. */
export interface ProbeTarget {
  key: string;
  ip: string;
  port: number;
  protocol: 'TCP' | 'UDP';
}

export interface RunningPod {
  name: string;
  ip: string;
  uid: string;
}

/** Running, not terminating pods of `namespace` with all of `labels`, oldest first. */
export async function runningPods(
  node: RunningNode,
  namespace: string,
  labels: Record<string, string>,
): Promise<RunningPod[]> {
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const list = JSON.parse(
    await node.kubectl([
      '-n',
      namespace,
      'get',
      'pods',
      '-l',
      selector,
      '--field-selector=status.phase=Running',
      '-o',
      'json',
    ]),
  ) as {
    items: {
      metadata: { name: string; uid: string; creationTimestamp: string; deletionTimestamp?: string };
      status: { podIP?: string };
    }[];
  };
  return list.items
    .filter((p) => p.metadata.deletionTimestamp === undefined && p.status.podIP !== undefined)
    .sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp))
    .map((p) => ({ name: p.metadata.name, ip: p.status.podIP!, uid: p.metadata.uid }));
}

/** Adds the probe as an ephemeral container to a real pod and waits until it runs. */
export async function attachProbe(node: RunningNode, namespace: string, pod: string): Promise<ProbeSource> {
  const patch = {
    spec: {
      ephemeralContainers: [
        {
          name: PROBE_CONTAINER,
          image: NODE_IMAGES.probe,
          imagePullPolicy: 'Never',
          command: ['sleep', String(PROBE_LIFETIME_SECONDS)],
          securityContext: RESTRICTED,
        },
      ],
    },
  };
  await node.kubectl([
    '-n',
    namespace,
    'patch',
    'pod',
    pod,
    '--subresource=ephemeralcontainers',
    '--type=strategic',
    '-p',
    JSON.stringify(patch),
  ]);
  await waitFor(
    async () => {
      const status = JSON.parse(await node.kubectl(['-n', namespace, 'get', 'pod', pod, '-o', 'json'])) as {
        status: { ephemeralContainerStatuses?: { name: string; state?: { running?: object } }[] };
      };
      return status.status.ephemeralContainerStatuses?.some((c) => c.name === PROBE_CONTAINER && c.state?.running);
    },
    { what: `the probe container in ${namespace}/${pod} to run`, timeoutMs: 120_000, intervalMs: 500 },
  );
  return { namespace, pod, container: PROBE_CONTAINER };
}

/**
 * A pod labelled as a workload this run does not deploy, listening on `ports` (BusyBox httpd: any TCP connect
 * succeeds), Ready once it runs. Creates the namespace when it is missing (the Gateway proxy's `traefik`).
 */
export async function startStandIn(
  node: RunningNode,
  options: { namespace: string; name: string; labels: Record<string, string>; ports: readonly number[] },
): Promise<ProbeSource & { ip: string }> {
  const { namespace, name, labels, ports } = options;
  await node.kubectl(['create', 'namespace', namespace]).catch((error: Error) => {
    if (!/AlreadyExists/.test(error.message)) throw error;
  });
  const listeners = ports.map((port) => `httpd -f -p ${port} -h / & `).join('');
  // Ports below 1024 (the Gateway proxy's 80 and 443) need root; only namespaces outside ours have them.
  const privileged = ports.some((port) => port < 1024);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'stand-in',
          image: NODE_IMAGES.probe,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', `${listeners}exec sleep ${PROBE_LIFETIME_SECONDS}`],
          securityContext: privileged ? { allowPrivilegeEscalation: false } : RESTRICTED,
        },
      ],
    },
  };
  await node.kubectl(['apply', '-f', '-'], JSON.stringify(pod));
  await node.kubectl(
    ['-n', namespace, 'wait', `pod/${name}`, '--for=condition=Ready', '--timeout=120s'],
    undefined,
    130_000,
  );
  const ip = (await node.kubectl(['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.podIP}'])).trim();
  return { namespace, pod: name, container: 'stand-in', ip };
}

/**
 * Tries every target at once from `source` and answers which connected. TCP: a connect within 3 s (a policy's
 * drop or reject both fail it); UDP (DNS only): an answer to a lookup sent to that server.
 */
export async function probeFrom(
  node: RunningNode,
  source: ProbeSource,
  targets: readonly ProbeTarget[],
): Promise<Map<string, boolean>> {
  const attempt = (target: ProbeTarget, i: number): string => {
    const command =
      target.protocol === 'UDP'
        ? `timeout 6 nslookup kubernetes.default.svc.cluster.local ${target.ip}`
        : `timeout 6 nc -w 3 ${target.ip} ${target.port} </dev/null`;
    return `( ${command} >/dev/null 2>&1 && echo "ok ${i}" || echo "no ${i}" ) &`;
  };
  const script = [...targets.map(attempt), 'wait'].join('\n');
  const out = await node.kubectl(
    ['-n', source.namespace, 'exec', source.pod, '-c', source.container, '--', 'sh', '-c', script],
    undefined,
    60_000,
  );
  const answers = new Map<string, boolean>();
  for (const line of out.split('\n')) {
    const match = /^(ok|no) (\d+)$/.exec(line.trim());
    if (match !== null) answers.set(targets[Number(match[2])]!.key, match[1] === 'ok');
  }
  const missing = targets.filter((target) => !answers.has(target.key)).map((target) => target.key);
  if (missing.length > 0) throw new Error(`no answer from ${source.namespace}/${source.pod} for ${missing.join(', ')}`);
  return answers;
}
