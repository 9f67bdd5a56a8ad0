// The reachability model's peers as pods of a running node, for probing the NetworkPolicies
// (test/e2e/platform-resilience.test.ts).
import type { NetpolPeer } from '../support/charts-tools.ts';
import type { RunningNode } from '../support/node/node.ts';
import { attachProbe, runningPods, startStandIn, type ProbeSource } from '../support/node/probes.ts';

/** A peer of the reachability model as it exists on this node: where to probe from and which addresses it has. */
export interface Endpoint {
  peer: NetpolPeer;
  source: ProbeSource | undefined;
  /** Its pods' addresses; a flow to its own peers goes to the second (a pod's own address never meets a policy). */
  ips: string[];
  standIn: boolean;
}

/**
 * The model's peers on the node. A workload this run deploys is probed from its real pod; the others (the monitoring
 * and logging stacks, the Gateway proxy, the ACME solver, vault-backup's Job, an unrelated pod) get a stand-in pod
 * with their labels. The API server is the node's (its kind-like 172.16/12 address on 6443: the `kubernetes`
 * Service's 443 is translated to it before any policy sees the packet, and nothing listens on 443 there).
 * Skipped, since nothing here may leave the machine: the rows whose destination is `external/internet`
 * (`cf-apps/integration-service → external/internet` in dev; in prod also postgres' and vault-backup's object
 * store) and the prod-only placeholder blocks `external/alert-receivers` and `external/mail-relay`.
 */
export async function endpoints(
  node: RunningNode,
  list: readonly NetpolPeer[],
  progress: (line: string) => void,
): Promise<Endpoint[]> {
  const byName = new Map<string, NetpolPeer>();
  for (const peer of list) {
    // The model names some future workloads twice (its generated workload and a hand-written stand-in): one pod.
    const seen = byName.get(peer.name);
    if (seen === undefined) byName.set(peer.name, { ...peer, ports: [...peer.ports] });
    else
      for (const port of peer.ports)
        if (!seen.ports.some((p) => p.port === port.port && p.protocol === port.protocol)) seen.ports.push(port);
  }
  const prepare = async (peer: NetpolPeer): Promise<Endpoint | undefined> => {
    if (peer.namespace === '') {
      if (peer.name !== 'external/api-server') return undefined;
      const ports = peer.ports.filter((p) => p.port === node.layout.ports.api);
      return { peer: { ...peer, ports }, source: undefined, ips: [node.layout.apiIp], standIn: false };
    }
    const pods = await runningPods(node, peer.namespace, peer.labels);
    if (pods.length > 0) {
      const source = await attachProbe(node, peer.namespace, pods[0]!.name);
      progress(`probe attached to ${peer.name} (${pods[0]!.name})`);
      return { peer, source, ips: pods.map((p) => p.ip), standIn: false };
    }
    const standIn = await startStandIn(node, {
      namespace: peer.namespace,
      name: `stand-in-${peer.name.split('/')[1]}`,
      labels: peer.labels,
      ports: peer.ports.filter((p) => p.protocol === 'TCP').map((p) => p.port),
    });
    progress(`stand-in running for ${peer.name}`);
    return { peer, source: standIn, ips: [standIn.ip], standIn: true };
  };
  const prepared = await Promise.all([...byName.values()].map(prepare));
  return prepared.filter((e): e is Endpoint => e !== undefined);
}
