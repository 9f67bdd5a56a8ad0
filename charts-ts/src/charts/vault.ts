import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { VAULT_CONFIG_KEY } from '@cf/vault-unsealer/vault-config';
import {
  containerSecurity,
  env,
  fieldEnv,
  httpGet,
  podSecurity,
  resources,
  standardProbes,
  APP_UID,
  vaultTokenVolume,
} from '../lib/workload.ts';
import { imageOf, labels, ns, postgres, selector, unsealer, vault } from '../platform.ts';
import type { Profile } from '../profile.ts';
import { vaultConfiguration } from '../vault-config.ts';

/** uid/gid of the `openbao` user in the OpenBao image. */
const VAULT_UID = 100;
const VAULT_GID = 1000;
/** Where vault-unsealer reads its Vault-audience token (its VAULT_TOKEN_FILE). */
const UNSEALER_TOKEN_DIR = '/var/run/secrets/vault.content-factory.dev/serviceaccount';

/** Vault's server configuration: raft storage with retry_join, Kubernetes service registration, metrics. */
export function vaultServerConfig(profile: Profile): string {
  const joins = Array.from(
    { length: profile.vault.replicas },
    (_, i) =>
      `  retry_join {\n    leader_api_addr = "http://${vault.name}-${i}.${vault.headless}.${ns.vault}.svc:${vault.apiPort}"\n  }`,
  );
  return [
    // OpenBao has no mlock setting (it warns about `disable_mlock` as an unknown field).
    'ui = true',
    '',
    'listener "tcp" {',
    `  address         = "[::]:${vault.apiPort}"`,
    `  cluster_address = "[::]:${vault.clusterPort}"`,
    // TLS ends at the pod boundary for now; NetworkPolicies restrict who reaches the port.
    '  tls_disable     = true',
    '  telemetry {',
    '    unauthenticated_metrics_access = true',
    '  }',
    '}',
    '',
    'storage "raft" {',
    '  path = "/vault/data"',
    ...joins,
    '}',
    '',
    'service_registration "kubernetes" {}',
    '',
    'telemetry {',
    '  prometheus_retention_time = "30s"',
    '  disable_hostname          = true',
    '}',
    '',
  ].join('\n');
}

/**
 * Vault health for probes. Liveness and startup accept sealed (503 → 204) and uninitialized (501 → 204)
 * answers: a sealed pod is alive and waits for vault-unsealer; killing it would undo the unseal progress
 * (vault-helm#180). Readiness keeps the default codes, so only unsealed pods (active 200, standby 429 → 200)
 * receive Service traffic.
 */
export const VAULT_LIVENESS_PATH = '/v1/sys/health?standbyok=true&perfstandbyok=true&sealedcode=204&uninitcode=204';
export const VAULT_READINESS_PATH = '/v1/sys/health?standbyok=true&perfstandbyok=true';

export class VaultChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const vaultLabels = labels(vault.name, 'server', vault.version);
    const unsealerLabels = labels(unsealer.name, 'operator');
    const namespace = ns.vault;

    // --- Vault server -------------------------------------------------------------------------------------
    new k8s.KubeServiceAccount(this, 'vault-sa', {
      metadata: { name: vault.serviceAccount, namespace, labels: vaultLabels },
      automountServiceAccountToken: true,
    });
    // service_registration "kubernetes": Vault labels its own pod (vault-sealed, vault-active, ...).
    new k8s.KubeRole(this, 'vault-role', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'update', 'patch'] }],
    });
    new k8s.KubeRoleBinding(this, 'vault-rolebinding', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: vault.name },
      subjects: [{ kind: 'ServiceAccount', name: vault.serviceAccount, namespace }],
    });
    new k8s.KubeConfigMap(this, 'vault-server-config', {
      metadata: { name: vault.serverConfigMap, namespace, labels: vaultLabels },
      data: { 'vault.hcl': vaultServerConfig(profile) },
    });
    const ports: k8s.ServicePort[] = [
      { name: 'http', port: vault.apiPort, targetPort: k8s.IntOrString.fromString('http') },
      { name: 'cluster', port: vault.clusterPort, targetPort: k8s.IntOrString.fromString('cluster') },
    ];
    // Per-pod DNS names for raft and the unsealer, also while pods are sealed (not ready).
    new k8s.KubeService(this, 'vault-internal', {
      metadata: { name: vault.headless, namespace, labels: vaultLabels },
      spec: { clusterIp: 'None', publishNotReadyAddresses: true, selector: selector(vault.name), ports },
    });
    new k8s.KubeService(this, 'vault-service', {
      metadata: { name: vault.service, namespace, labels: vaultLabels },
      spec: { type: 'ClusterIP', selector: selector(vault.name), ports: [ports[0]!] },
    });
    const addressEnv = (name: string, port: number): k8s.EnvVar => ({
      name,
      value: `http://$(POD_NAME).${vault.headless}.${namespace}.svc:${port}`,
    });
    new k8s.KubeStatefulSet(this, 'vault', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      spec: {
        serviceName: vault.headless,
        replicas: profile.vault.replicas,
        // Every pod starts at once: a sealed vault-0 is not ready, and followers must exist to be joined.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'OnDelete' },
        selector: { matchLabels: selector(vault.name) },
        template: {
          metadata: { labels: vaultLabels },
          spec: {
            serviceAccountName: vault.serviceAccount,
            automountServiceAccountToken: true,
            securityContext: podSecurity(VAULT_UID, VAULT_GID),
            terminationGracePeriodSeconds: 30,
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: selector(vault.name) },
                    },
                  },
                ],
              },
            },
            containers: [
              {
                name: 'vault',
                image: vault.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['bao', 'server', '-config=/vault/config/vault.hcl'],
                ports: [
                  { name: 'http', containerPort: vault.apiPort },
                  { name: 'cluster', containerPort: vault.clusterPort },
                ],
                env: [
                  fieldEnv('POD_NAME', 'metadata.name'),
                  fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
                  // Read by service_registration "kubernetes" (OpenBao accepts both prefixes).
                  fieldEnv('VAULT_K8S_POD_NAME', 'metadata.name'),
                  fieldEnv('VAULT_K8S_NAMESPACE', 'metadata.namespace'),
                  fieldEnv('BAO_K8S_POD_NAME', 'metadata.name'),
                  fieldEnv('BAO_K8S_NAMESPACE', 'metadata.namespace'),
                  addressEnv('VAULT_API_ADDR', vault.apiPort),
                  addressEnv('VAULT_CLUSTER_ADDR', vault.clusterPort),
                  addressEnv('BAO_API_ADDR', vault.apiPort),
                  addressEnv('BAO_CLUSTER_ADDR', vault.clusterPort),
                  { name: 'HOME', value: '/tmp' },
                ],
                resources: resources(profile.vault.resources),
                securityContext: containerSecurity(VAULT_UID, true),
                startupProbe: {
                  httpGet: httpGet(VAULT_LIVENESS_PATH, 'http'),
                  periodSeconds: 2,
                  failureThreshold: 60,
                  timeoutSeconds: 2,
                },
                livenessProbe: {
                  httpGet: httpGet(VAULT_LIVENESS_PATH, 'http'),
                  periodSeconds: 10,
                  failureThreshold: 6,
                  timeoutSeconds: 3,
                },
                readinessProbe: {
                  httpGet: httpGet(VAULT_READINESS_PATH, 'http'),
                  periodSeconds: 5,
                  failureThreshold: 2,
                  timeoutSeconds: 3,
                },
                volumeMounts: [
                  { name: 'data', mountPath: '/vault/data' },
                  { name: 'config', mountPath: '/vault/config', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: vault.serverConfigMap } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: selector(vault.name) },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: k8s.Quantity.fromString(profile.vault.storage) } },
            },
          },
        ],
      },
    });
    new k8s.KubePodDisruptionBudget(this, 'vault-pdb', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector(vault.name) } },
    });

    // --- vault-unsealer -----------------------------------------------------------------------------------
    new k8s.KubeServiceAccount(this, 'unsealer-sa', {
      metadata: { name: unsealer.name, namespace, labels: unsealerLabels },
      automountServiceAccountToken: true,
    });
    new k8s.KubeRole(this, 'unsealer-role', {
      metadata: { name: unsealer.name, namespace, labels: unsealerLabels },
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
        // The key Secret is created once and only read afterwards: no update, patch, delete, list or watch.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: [unsealer.keySecret], verbs: ['get'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'unsealer-rolebinding', {
      metadata: { name: unsealer.name, namespace, labels: unsealerLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: unsealer.name },
      subjects: [{ kind: 'ServiceAccount', name: unsealer.name, namespace }],
    });
    // The database engine is configured with CloudNativePG's superuser login: that one Secret, read only.
    new k8s.KubeRole(this, 'unsealer-db-admin-role', {
      metadata: { name: `${unsealer.name}-db-admin`, namespace: ns.data, labels: unsealerLabels },
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [postgres.superuserSecret], verbs: ['get'] }],
    });
    new k8s.KubeRoleBinding(this, 'unsealer-db-admin-rolebinding', {
      metadata: { name: `${unsealer.name}-db-admin`, namespace: ns.data, labels: unsealerLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${unsealer.name}-db-admin` },
      subjects: [{ kind: 'ServiceAccount', name: unsealer.name, namespace }],
    });
    new k8s.KubeConfigMap(this, 'unsealer-config', {
      metadata: { name: unsealer.configMap, namespace, labels: unsealerLabels },
      data: { [VAULT_CONFIG_KEY]: `${JSON.stringify(vaultConfiguration(), null, 2)}\n` },
    });
    const probes = standardProbes('http');
    new k8s.KubeDeployment(this, 'unsealer', {
      metadata: { name: unsealer.name, namespace, labels: unsealerLabels },
      spec: {
        replicas: profile.unsealer.replicas,
        selector: { matchLabels: selector(unsealer.name) },
        template: {
          metadata: { labels: unsealerLabels },
          spec: {
            serviceAccountName: unsealer.name,
            automountServiceAccountToken: true,
            securityContext: podSecurity(APP_UID),
            containers: [
              {
                name: unsealer.name,
                image: imageOf(unsealer.name, profile.imageTag),
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'http', containerPort: unsealer.port }],
                env: [
                  fieldEnv('POD_NAME', 'metadata.name'),
                  fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
                  ...env({
                    PORT: unsealer.port,
                    VAULT_POD_SELECTOR: `app.kubernetes.io/name=${vault.name}`,
                    VAULT_ADDRESS_TEMPLATE: `http://{pod}.{service}.{namespace}.svc:${vault.apiPort}`,
                    VAULT_HEADLESS_SERVICE: vault.headless,
                    VAULT_FIRST_POD: `${vault.name}-0`,
                    VAULT_KEY_SECRET: unsealer.keySecret,
                    VAULT_SECRET_SHARES: profile.vault.secretShares,
                    VAULT_SECRET_THRESHOLD: profile.vault.secretThreshold,
                    VAULT_CONFIG_FILE: `${unsealer.configDir}/${VAULT_CONFIG_KEY}`,
                    LEASE_NAME: unsealer.lease,
                    VAULT_TOKEN_FILE: `${UNSEALER_TOKEN_DIR}/token`,
                    VAULT_AUTH_ROLE: unsealer.name,
                  }),
                ],
                resources: resources(profile.unsealer.resources),
                securityContext: containerSecurity(APP_UID, !profile.liveUpdate),
                startupProbe: probes.startup,
                livenessProbe: probes.liveness,
                readinessProbe: probes.readiness,
                volumeMounts: [
                  { name: 'config', mountPath: unsealer.configDir, readOnly: true },
                  { name: 'vault-token', mountPath: UNSEALER_TOKEN_DIR, readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: unsealer.configMap } },
              // The unsealer's own Vault login (kubernetes auth, audience `vault`), besides its API token.
              vaultTokenVolume(vault.audience),
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('32Mi') } },
            ],
          },
        },
      },
    });
  }
}
