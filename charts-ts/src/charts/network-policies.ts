import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { flows, isOurs, kubeDns, type Flow, type Peer, type PortSpec } from '../network.ts';
import { ourNamespaces, PART_OF } from '../platform.ts';
import type { Profile } from '../profile.ts';

/** Pods of one of our namespaces: the end of a flow a policy can be put on. */
type OurPods = Extract<Peer, { kind: 'pods' }>;

function peer(p: Peer): k8s.NetworkPolicyPeer {
  if (p.kind === 'cidr') return { ipBlock: { cidr: p.cidr, ...(p.except.length > 0 ? { except: p.except } : {}) } };
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } },
    podSelector: { matchLabels: p.pods ?? {} },
  };
}

function ports(list: PortSpec[]): k8s.NetworkPolicyPort[] {
  return list.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol }));
}

const meta = (name: string, namespace: string): k8s.ObjectMeta => ({
  name,
  namespace,
  labels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'network-policy' },
});

/**
 * The policy at one end of a flow, on our pods `own`: at the source an egress rule to the other end, at the
 * destination an ingress rule from it, on the flow's ports. Object id and name: `<flow>-egress` / `<flow>-ingress`.
 */
function flowEnd(scope: Construct, flow: Flow, end: 'egress' | 'ingress', own: OurPods, other: Peer): void {
  const name = `${flow.name}-${end}`;
  const rule = { ports: ports(flow.ports) };
  new k8s.KubeNetworkPolicy(scope, name, {
    metadata: meta(name, own.namespace),
    spec: {
      podSelector: { matchLabels: own.pods ?? {} },
      ...(end === 'egress'
        ? { policyTypes: ['Egress'], egress: [{ to: [peer(other)], ...rule }] }
        : { policyTypes: ['Ingress'], ingress: [{ from: [peer(other)], ...rule }] }),
    },
  });
}

/**
 * Default deny (ingress and egress) in every namespace of ours, DNS egress, then exactly the flows of
 * network.ts: an egress rule where the source is ours, an ingress rule where the destination is ours.
 */
export class NetworkPoliciesChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    for (const namespace of ourNamespaces) {
      new k8s.KubeNetworkPolicy(this, `${namespace}-default-deny`, {
        metadata: meta('default-deny', namespace),
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
      new k8s.KubeNetworkPolicy(this, `${namespace}-allow-dns`, {
        metadata: meta('allow-dns', namespace),
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [peer(kubeDns)],
              ports: ports([
                { port: 53, protocol: 'UDP' },
                { port: 53, protocol: 'TCP' },
              ]),
            },
          ],
        },
      });
    }
    for (const flow of flows(profile)) {
      if (isOurs(flow.from)) flowEnd(this, flow, 'egress', flow.from, flow.to);
      if (isOurs(flow.to)) flowEnd(this, flow, 'ingress', flow.to, flow.from);
    }
  }
}
