import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';

export type PolicyRule = k8s.PolicyRule;

/**
 * A Role with its RoleBinding to one ServiceAccount, in `namespace` (least privilege: namespaced rights where
 * the work happens, never a ClusterRole when a Role will do).
 */
export function namespacedRole(
  scope: Construct,
  id: string,
  p: { name: string; namespace: string; labels: Record<string, string>; subject: { name: string; namespace: string } },
  rules: PolicyRule[],
): void {
  const metadata = { name: p.name, namespace: p.namespace, labels: p.labels };
  new k8s.KubeRole(scope, `${id}-role`, { metadata, rules });
  new k8s.KubeRoleBinding(scope, `${id}-binding`, {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: p.name },
    subjects: [{ kind: 'ServiceAccount', ...p.subject }],
  });
}

export function clusterRole(
  scope: Construct,
  id: string,
  p: { name: string; labels: Record<string, string>; subject: { name: string; namespace: string } },
  rules: PolicyRule[],
): void {
  const metadata = { name: p.name, labels: p.labels };
  new k8s.KubeClusterRole(scope, `${id}-clusterrole`, { metadata, rules });
  new k8s.KubeClusterRoleBinding(scope, `${id}-clusterbinding`, {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: p.name },
    subjects: [{ kind: 'ServiceAccount', ...p.subject }],
  });
}

export const read = ['get', 'list', 'watch'];
