import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { containerSecurity, fieldEnv, httpGet, podSecurity, resources, selectedPods } from '../lib/workload.ts';
import { disruptionBudget, requireSeparateNodes } from '../lib/availability.ts';
import { internalCertificate, serviceDnsNames } from '../lib/certificates.ts';
import { labels, ns, selector, vault, VAULT_PRIORITY_CLASS } from '../platform.ts';
import type { Profile } from '../profile.ts';
import { vaultServerConfig } from '../vault-hcl.ts';

/** uid/gid of the `openbao` user in the OpenBao image. */
const VAULT_UID = 100;
const VAULT_GID = 1000;

/**
 * Vault health for probes. Liveness and startup accept sealed (503 → 204) and uninitialized (501 → 204)
 * answers: a sealed pod is alive and waits for vault-unsealer; killing it would undo the unseal progress
 * (vault-helm#180). Readiness keeps the default codes, so only unsealed pods (active 200, standby 429 → 200)
 * receive Service traffic.
 */
export const VAULT_LIVENESS_PATH = '/v1/sys/health?standbyok=true&perfstandbyok=true&sealedcode=204&uninitcode=204';
export const VAULT_READINESS_PATH = '/v1/sys/health?standbyok=true&perfstandbyok=true';

function vaultContainer(profile: Profile): k8s.Container {
  const addressEnv = (name: string, port: number): k8s.EnvVar => ({
    name,
    value: `https://$(POD_NAME).${vault.headless}.${ns.vault}.svc:${port}`,
  });
  // The kubelet's HTTPS probes do not verify certificates; they only need the scheme.
  const probe = (path: string): k8s.HttpGetAction => ({ ...httpGet(path, 'https'), scheme: 'HTTPS' });
  return {
    name: 'vault',
    image: vault.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['bao', 'server', '-config=/vault/config/vault.hcl'],
    ports: [
      { name: 'https', containerPort: vault.apiPort },
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
      // The `bao` CLI inside the pod (operators' kubectl exec) talks to the local listener over TLS.
      { name: 'BAO_ADDR', value: `https://127.0.0.1:${vault.apiPort}` },
      { name: 'BAO_CACERT', value: `${vault.tlsDir}/ca.crt` },
    ],
    resources: resources(profile.vault.resources),
    securityContext: containerSecurity(VAULT_UID, true),
    startupProbe: {
      httpGet: probe(VAULT_LIVENESS_PATH),
      periodSeconds: 2,
      failureThreshold: 60,
      timeoutSeconds: 2,
    },
    livenessProbe: {
      httpGet: probe(VAULT_LIVENESS_PATH),
      periodSeconds: 10,
      failureThreshold: 6,
      timeoutSeconds: 3,
    },
    readinessProbe: {
      httpGet: probe(VAULT_READINESS_PATH),
      periodSeconds: 5,
      failureThreshold: 2,
      timeoutSeconds: 3,
    },
    volumeMounts: [
      { name: 'data', mountPath: '/vault/data' },
      { name: 'config', mountPath: '/vault/config', readOnly: true },
      { name: 'tls', mountPath: vault.tlsDir, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

/**
 * The Vault (OpenBao) server: raft StatefulSet with its headless and client Services, the RBAC that
 * `service_registration "kubernetes"` needs to label its own pod, its configuration and disruption budget.
 */
export class VaultServer extends Construct {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const vaultLabels = labels(vault.name, 'server', vault.version);
    const namespace = ns.vault;

    new k8s.KubeServiceAccount(this, 'vault-sa', {
      metadata: { name: vault.serviceAccount, namespace, labels: vaultLabels },
      automountServiceAccountToken: true,
    });
    // service_registration "kubernetes": OpenBao labels its own pod (openbao-active, openbao-sealed, ...).
    new k8s.KubeRole(this, 'vault-role', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'update', 'patch'] }],
    });
    new k8s.KubeRoleBinding(this, 'vault-rolebinding', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: vault.name },
      subjects: [{ kind: 'ServiceAccount', name: vault.serviceAccount, namespace }],
    });
    const podDns = Array.from({ length: profile.vault.replicas }, (_, i) =>
      serviceDnsNames(`${vault.name}-${i}.${vault.headless}`, namespace),
    ).flat();
    internalCertificate(this, 'vault-certificate', {
      name: vault.tlsSecret,
      namespace,
      labels: vaultLabels,
      dnsNames: [
        ...serviceDnsNames(vault.service, namespace),
        ...serviceDnsNames(vault.activeService, namespace),
        ...serviceDnsNames(vault.headless, namespace),
        ...podDns,
      ],
      ipAddresses: ['127.0.0.1'],
    });
    new k8s.KubeConfigMap(this, 'vault-server-config', {
      metadata: { name: vault.serverConfigMap, namespace, labels: vaultLabels },
      data: { 'vault.hcl': vaultServerConfig(profile) },
    });
    const ports: k8s.ServicePort[] = [
      { name: 'https', port: vault.apiPort, targetPort: k8s.IntOrString.fromString('https') },
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
    // Only the raft leader, by the label service_registration keeps on each pod: no standby forwarding hop.
    new k8s.KubeService(this, 'vault-active', {
      metadata: { name: vault.activeService, namespace, labels: vaultLabels },
      spec: {
        type: 'ClusterIP',
        selector: { ...selector(vault.name), [vault.activeLabel]: 'true' },
        ports: [ports[0]!],
      },
    });
    new k8s.KubeStatefulSet(this, 'vault', {
      metadata: { name: vault.name, namespace, labels: vaultLabels },
      spec: {
        serviceName: vault.headless,
        replicas: profile.vault.replicas,
        // Every pod starts at once: a sealed vault-0 is not ready, and followers must exist to be joined.
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'OnDelete' },
        ...selectedPods(vault.name, vaultLabels, {
          serviceAccountName: vault.serviceAccount,
          automountServiceAccountToken: true,
          securityContext: podSecurity(VAULT_UID, VAULT_GID),
          terminationGracePeriodSeconds: 30,
          priorityClassName: VAULT_PRIORITY_CLASS,
          affinity: requireSeparateNodes(selector(vault.name)),
          containers: [vaultContainer(profile)],
          volumes: [
            { name: 'config', configMap: { name: vault.serverConfigMap } },
            { name: 'tls', secret: { secretName: vault.tlsSecret } },
            { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
          ],
        }),
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
    disruptionBudget(this, 'vault-pdb', { name: vault.name, namespace, labels: vaultLabels }, selector(vault.name), {
      maxUnavailable: 1,
    });
  }
}
