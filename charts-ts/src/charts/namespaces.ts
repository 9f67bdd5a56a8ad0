import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { ns, PART_OF } from '../platform.ts';

/**
 * Pod Security admission level per namespace: `restricted` everywhere but the log shipper's own namespace, whose
 * only workload (Filebeat) mounts the nodes' log directories read-only and reads them as root with
 * DAC_READ_SEARCH — a hostPath and an added capability, which no level below `privileged` admits
 * (kubernetes.io/docs/concepts/security/pod-security-standards). Enforce, warn and audit carry the same level, so a
 * namespace never warns about what it admits on purpose.
 */
export const podSecurityLevels: Record<string, 'restricted' | 'privileged'> = {
  [ns.apps]: 'restricted',
  [ns.data]: 'restricted',
  [ns.vault]: 'restricted',
  [ns.observability]: 'restricted',
  [ns.logging]: 'restricted',
  [ns.logShipper]: 'privileged',
};

export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const name of Object.values(ns)) {
      const level = podSecurityLevels[name]!;
      new k8s.KubeNamespace(this, name, {
        metadata: {
          name,
          labels: {
            'app.kubernetes.io/part-of': PART_OF,
            'pod-security.kubernetes.io/enforce': level,
            'pod-security.kubernetes.io/enforce-version': 'latest',
            'pod-security.kubernetes.io/warn': level,
            'pod-security.kubernetes.io/audit': level,
          },
        },
      });
    }
  }
}
