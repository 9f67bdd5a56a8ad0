import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { ns, PART_OF } from '../platform.ts';

/** Pod Security admission level per namespace; logging's Filebeat (a later issue) needs host paths. */
const podSecurity: Record<string, string> = {
  [ns.apps]: 'restricted',
  [ns.data]: 'restricted',
  [ns.vault]: 'restricted',
  [ns.observability]: 'restricted',
  [ns.logging]: 'privileged',
};

export class NamespacesChart extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const name of Object.values(ns)) {
      const level = podSecurity[name]!;
      new k8s.KubeNamespace(this, name, {
        metadata: {
          name,
          labels: {
            'app.kubernetes.io/part-of': PART_OF,
            'pod-security.kubernetes.io/enforce': level,
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
    }
  }
}
