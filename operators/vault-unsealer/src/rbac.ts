import type { V1PolicyRule, V1Role } from '@kubernetes/client-node';
import { keySecretNames } from './key-store.ts';
import type { VaultConfiguration } from './vault-config.ts';

export interface SecretReference {
  name: string;
  /** Default: the operator's namespace. */
  namespace?: string | undefined;
}

export interface UnsealerRbacOptions {
  /** The operator's namespace (its Lease). */
  namespace: string;
  /** Where Vault runs. Default: `namespace`. */
  vaultNamespace?: string;
  /** Default: `vault-unsealer`. */
  leaseName?: string;
  /** Default: `vault-unseal-keys`. */
  keySecret?: string;
  /** Secrets the shares are split over (`VAULT_KEY_SECRETS`). Default: 1. */
  keySecrets?: number;
  /** Secrets the configuration names (see `secretReferences`). */
  secrets?: readonly SecretReference[];
  /** Name of the Roles. Default: `vault-unsealer`. */
  roleName?: string;
}

/** Every Kubernetes Secret a Vault configuration makes the operator read: database admin logins, reviewer token. */
export function secretReferences(config: VaultConfiguration): SecretReference[] {
  const references: SecretReference[] = [];
  for (const engine of config.secretEngines) {
    if (engine.type !== 'database') continue;
    for (const connection of engine.connections) {
      references.push({
        name: connection.adminCredentialsSecret.name,
        namespace: connection.adminCredentialsSecret.namespace,
      });
    }
  }
  const reviewer = config.auth.kubernetes?.tokenReviewerJwtSecret;
  if (reviewer !== undefined) references.push({ name: reviewer.name, namespace: reviewer.namespace });
  return references;
}

/**
 * The least-privilege Roles the operator needs, one per namespace, nothing cluster-wide. charts-ts can build its
 * RBAC from this function, and the tests run the operator under exactly these Roles.
 */
export function unsealerRoles(options: UnsealerRbacOptions): V1Role[] {
  const roleName = options.roleName ?? 'vault-unsealer';
  const vaultNamespace = options.vaultNamespace ?? options.namespace;
  const rules = new Map<string, V1PolicyRule[]>();
  const add = (namespace: string, rule: V1PolicyRule): void => {
    rules.set(namespace, [...(rules.get(namespace) ?? []), rule]);
  };
  add(vaultNamespace, { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] });
  add(vaultNamespace, { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] });
  // `create` cannot be limited to a name: the API server checks resourceNames only for named requests.
  add(vaultNamespace, { apiGroups: [''], resources: ['secrets'], verbs: ['create'] });
  add(options.namespace, { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] });
  add(options.namespace, {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    resourceNames: [options.leaseName ?? 'vault-unsealer'],
    verbs: ['get', 'update'],
  });
  const readable = new Map<string, Set<string>>([
    [vaultNamespace, new Set(keySecretNames(options.keySecret ?? 'vault-unseal-keys', options.keySecrets))],
  ]);
  for (const secret of options.secrets ?? []) {
    const namespace = secret.namespace ?? options.namespace;
    readable.set(namespace, (readable.get(namespace) ?? new Set()).add(secret.name));
  }
  for (const [namespace, names] of readable) {
    add(namespace, { apiGroups: [''], resources: ['secrets'], resourceNames: [...names].sort(), verbs: ['get'] });
  }
  return [...rules].map(([namespace, namespaceRules]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: roleName, namespace, labels: { 'app.kubernetes.io/name': 'vault-unsealer' } },
    rules: namespaceRules,
  }));
}
