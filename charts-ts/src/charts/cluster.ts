import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { internalCa, ns, PART_OF, vault, VAULT_PRIORITY_CLASS } from '../platform.ts';
import type { Profile } from '../profile.ts';

const partOf = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' };

export const DEV_CA_ISSUER = 'cf-dev-ca';
export const ACME_ISSUER = 'cf-letsencrypt';

export function issuerName(profile: Profile): string {
  return profile.issuer.kind === 'acme' ? ACME_ISSUER : DEV_CA_ISSUER;
}

const SELF_SIGNED_ISSUER = 'cf-selfsigned';

/**
 * A CA certificate from the self-signed issuer (its Secret in cert-manager's cluster resource namespace) and the
 * CA ClusterIssuer that signs with it; both named `name`.
 */
function caIssuer(scope: Construct, name: string, commonName: string, hours: number): void {
  new ApiObject(scope, `${name}-certificate`, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: 'cert-manager', labels: partOf },
    spec: {
      isCA: true,
      commonName,
      secretName: name,
      duration: `${hours}h`,
      privateKey: { algorithm: 'ECDSA', size: 256 },
      issuerRef: { name: SELF_SIGNED_ISSUER, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    },
  });
  new ApiObject(scope, `${name}-issuer`, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name, labels: partOf },
    spec: { ca: { secretName: name } },
  });
}

/**
 * Cluster-scoped objects (and the one object cert-manager needs in its own namespace). This chart has no
 * namespace, so nothing gets one stamped on by accident (FACTS.md).
 */
export class ClusterChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    // Vault's kubernetes auth sends TokenReviews with Vault's own ServiceAccount token.
    new k8s.KubeClusterRoleBinding(this, 'vault-auth-delegator', {
      metadata: { name: 'cf-vault-auth-delegator', labels: partOf },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: vault.serviceAccount, namespace: ns.vault }],
    });

    // Vault and its unsealer come back first after a node loss: every other workload waits for them.
    new k8s.KubePriorityClass(this, 'vault-priority', {
      metadata: { name: VAULT_PRIORITY_CLASS, labels: partOf },
      value: 1_000_000,
      globalDefault: false,
      preemptionPolicy: 'PreemptLowerPriority',
      description: 'Vault (OpenBao) and vault-unsealer: secrets and database logins of every service',
    });

    // The internal CA (both profiles): a self-signed root in cert-manager's namespace behind a CA ClusterIssuer
    // that signs Vault's and PostgreSQL's server certificates.
    new ApiObject(this, 'selfsigned-issuer', {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: SELF_SIGNED_ISSUER, labels: partOf },
      spec: { selfSigned: {} },
    });
    caIssuer(this, internalCa.issuer, 'Content Factory internal CA', 87_600);

    if (profile.issuer.kind === 'acme') {
      new ApiObject(this, 'acme-issuer', {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: ACME_ISSUER, labels: partOf },
        spec: {
          acme: {
            email: profile.issuer.email,
            server: profile.issuer.server,
            privateKeySecretRef: { name: profile.issuer.accountKeySecret },
            solvers: [
              {
                http01: {
                  gatewayHTTPRoute: {
                    parentRefs: [{ name: 'cf-gateway', namespace: ns.apps, kind: 'Gateway', sectionName: 'http' }],
                  },
                },
              },
            ],
          },
        },
      });
    } else {
      // The Gateway's certificate in dev: a CA of its own, separate from the internal one.
      caIssuer(this, DEV_CA_ISSUER, 'Content Factory dev CA', 8760);
    }
  }
}
