import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

/**
 * Replicas of one workload spread over nodes (hard: a node never holds two while another holds none) and
 * zones (soft: clusters without zones still schedule). A single-node cluster has one domain, so its skew is
 * always 0 and nothing blocks (kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints).
 * The preferred anti-affinity states the same intent for tools that read only affinity (kube-score).
 */
export function spreadOverNodes(
  selector: Record<string, string>,
): Pick<k8s.PodSpec, 'affinity' | 'topologySpreadConstraints'> {
  const labelSelector = { matchLabels: selector };
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: HOSTNAME, labelSelector } },
        ],
      },
    },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: HOSTNAME, whenUnsatisfiable: 'DoNotSchedule', labelSelector },
      { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
    ],
  };
}

/** Never two pods on one node: raft voters sharing a node lose quorum together. */
export function requireSeparateNodes(selector: Record<string, string>): k8s.Affinity {
  return {
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: HOSTNAME, labelSelector: { matchLabels: selector } },
      ],
    },
  };
}

/**
 * A PodDisruptionBudget whose unhealthy pods may always be evicted: a sealed (not ready) Vault pod or a
 * crash-looping one must not block a node drain (`AlwaysAllow`, policy/v1 since Kubernetes 1.27).
 */
export function disruptionBudget(
  scope: Construct,
  id: string,
  metadata: k8s.ObjectMeta,
  selector: Record<string, string>,
  budget: { minAvailable: number } | { maxUnavailable: number },
): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata,
    spec: {
      ...('minAvailable' in budget
        ? { minAvailable: k8s.IntOrString.fromNumber(budget.minAvailable) }
        : { maxUnavailable: k8s.IntOrString.fromNumber(budget.maxUnavailable) }),
      selector: { matchLabels: selector },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}
