import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { keySecretNames } from '@cf/vault-unsealer/key-store';
import { VAULT_CONFIG_KEY } from '@cf/vault-unsealer/vault-config';
import { disruptionBudget, spreadOverNodes } from '../lib/availability.ts';
import { renderEnv } from '../lib/env.ts';
import {
  APP_UID,
  containerSecurity,
  podSecurity,
  resources,
  selectedPods,
  standardProbes,
  vaultTokenVolume,
} from '../lib/workload.ts';
import { caBundleVolume } from '../lib/certificates.ts';
import {
  imageOf,
  internalCa,
  labels,
  ns,
  postgres,
  selector,
  unsealer,
  vault,
  VAULT_PRIORITY_CLASS,
} from '../platform.ts';
import type { Profile } from '../profile.ts';
import { UNSEALER_TOKEN_DIR, unsealerContainerEnv } from '../service-env.ts';
import { vaultConfiguration } from '../vault-config.ts';

/** RBAC of the operator: exactly what its own `unsealerRoles()` lists (test/charts/unsealer-rbac.test.ts). */
function unsealerRbac(
  scope: Construct,
  meta: (name: string, namespace: string) => k8s.ObjectMeta,
  profile: Profile,
): void {
  const namespace = ns.vault;
  new k8s.KubeServiceAccount(scope, 'unsealer-sa', {
    metadata: meta(unsealer.name, namespace),
    automountServiceAccountToken: true,
  });
  new k8s.KubeRole(scope, 'unsealer-role', {
    metadata: meta(unsealer.name, namespace),
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      // `create` cannot be limited by name (the name is not known at authorization time).
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: [unsealer.lease],
        verbs: ['get', 'update'],
      },
      // The key Secrets are created once and only read afterwards: no update, patch, delete, list or watch; and
      // only these, the shares split over profile.vault.keySecrets of them (VAULT_KEY_SECRETS).
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: keySecretNames(unsealer.keySecret, profile.vault.keySecrets),
        verbs: ['get'],
      },
    ],
  });
  new k8s.KubeRoleBinding(scope, 'unsealer-rolebinding', {
    metadata: meta(unsealer.name, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: unsealer.name },
    subjects: [{ kind: 'ServiceAccount', name: unsealer.name, namespace }],
  });
  // The database engine is configured with Vault's own PostgreSQL login (CREATEROLE, not the superuser): that
  // one Secret, read only.
  const dbAdmin = `${unsealer.name}-db-admin`;
  new k8s.KubeRole(scope, 'unsealer-db-admin-role', {
    metadata: meta(dbAdmin, ns.data),
    rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [postgres.vaultAdminSecret], verbs: ['get'] }],
  });
  new k8s.KubeRoleBinding(scope, 'unsealer-db-admin-rolebinding', {
    metadata: meta(dbAdmin, ns.data),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: dbAdmin },
    subjects: [{ kind: 'ServiceAccount', name: unsealer.name, namespace }],
  });
}

/**
 * vault-unsealer: the operator that initializes, unseals and configures Vault — its RBAC, the Vault
 * configuration it applies (a ConfigMap validated by its own schema) and its Deployment.
 */
export class VaultUnsealer extends Construct {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const unsealerLabels = labels(unsealer.name, 'operator');
    const meta = (name: string, namespace: string): k8s.ObjectMeta => ({ name, namespace, labels: unsealerLabels });
    const namespace = ns.vault;
    unsealerRbac(this, meta, profile);
    new k8s.KubeConfigMap(this, 'unsealer-config', {
      metadata: meta(unsealer.configMap, namespace),
      data: { [VAULT_CONFIG_KEY]: `${JSON.stringify(vaultConfiguration(), null, 2)}\n` },
    });
    const probes = standardProbes('http');
    new k8s.KubeDeployment(this, 'unsealer', {
      metadata: meta(unsealer.name, namespace),
      spec: {
        replicas: profile.unsealer.replicas,
        ...selectedPods(unsealer.name, unsealerLabels, {
          serviceAccountName: unsealer.name,
          automountServiceAccountToken: true,
          securityContext: podSecurity(APP_UID),
          priorityClassName: VAULT_PRIORITY_CLASS,
          ...(profile.unsealer.replicas > 1 ? spreadOverNodes(selector(unsealer.name)) : {}),
          containers: [
            {
              name: unsealer.name,
              image: imageOf(unsealer.name, profile.images),
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: unsealer.port }],
              env: renderEnv(unsealerContainerEnv(profile)),
              resources: resources(profile.unsealer.resources),
              securityContext: containerSecurity(APP_UID, !profile.liveUpdate),
              startupProbe: probes.startup,
              livenessProbe: probes.liveness,
              readinessProbe: probes.readiness,
              volumeMounts: [
                { name: 'config', mountPath: unsealer.configDir, readOnly: true },
                { name: 'vault-token', mountPath: UNSEALER_TOKEN_DIR, readOnly: true },
                { name: 'internal-ca', mountPath: internalCa.mountDir, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: unsealer.configMap } },
            // The unsealer's own Vault login (kubernetes auth, audience `vault`), besides its API token.
            vaultTokenVolume(vault.audience),
            // Vault's certificate Secret, of which only the issuing CA's `ca.crt` is mounted (VAULT_CACERT).
            caBundleVolume('internal-ca', vault.tlsSecret),
            { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('32Mi') } },
          ],
        }),
      },
    });
    // One leader works at a time; the other replica takes over within a lease duration.
    disruptionBudget(this, 'unsealer-pdb', meta(unsealer.name, namespace), selector(unsealer.name), {
      maxUnavailable: 1,
    });
  }
}
