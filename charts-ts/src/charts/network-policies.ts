import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { flows, isOurs, kubeDns, type Peer, type PortSpec } from '../network.ts';
import { ourNamespaces, PART_OF } from '../platform.ts';
import type { Profile } from '../profile.ts';

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
      if (isOurs(flow.from)) {
        new k8s.KubeNetworkPolicy(this, `${flow.name}-egress`, {
          metadata: meta(`${flow.name}-egress`, flow.from.namespace),
          spec: {
            podSelector: { matchLabels: flow.from.pods ?? {} },
            policyTypes: ['Egress'],
            egress: [{ to: [peer(flow.to)], ports: ports(flow.ports) }],
          },
        });
      }
      if (isOurs(flow.to)) {
        new k8s.KubeNetworkPolicy(this, `${flow.name}-ingress`, {
          metadata: meta(`${flow.name}-ingress`, flow.to.namespace),
          spec: {
            podSelector: { matchLabels: flow.to.pods ?? {} },
            policyTypes: ['Ingress'],
            ingress: [{ from: [peer(flow.from)], ports: ports(flow.ports) }],
          },
        });
      }
    }
  }
}
