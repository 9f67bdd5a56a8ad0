/**
 * Secrets for third-party images (Alertmanager, Grafana) come from Vault through OpenBao's own agent
 * (`bao agent`, the same image as the server): it logs in with the pod's Vault-audience ServiceAccount token
 * (Kubernetes auth) and renders each secret into an in-memory volume the application reads as a file
 * (`*_file` settings). Nothing secret is ever in a manifest.
 */
import type { IAlertmanager } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Alertmanager';
import { caBundleVolume } from '../../lib/certificates.ts';
import { VAULT_TOKEN_DIR } from '../../lib/workload.ts';
import { internalCa, vault } from '../../platform.ts';
import { vaultAgent } from './stack.ts';

/** OpenBao image user (uid 100, gid 1000). */
const AGENT_UID = 100;

type Spec = NonNullable<IAlertmanager['spec']>;
export type Container = NonNullable<Spec['containers']>[number];
export type Volume = NonNullable<Spec['volumes']>[number];
export type VolumeMount = NonNullable<Spec['volumeMounts']>[number];

/** Pod-level restricted Pod Security (plain object) for a custom resource's pods. */
export function restrictedPod(uid: number): NonNullable<Spec['securityContext']> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Restricted Pod Security for a container of a custom resource's pod (plain object, not cdk8s types). */
export function restrictedContainer(uid: number): NonNullable<Container['securityContext']> {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface RenderedSecret {
  /** File name under /vault/secrets. */
  file: string;
  /** KV v2 path under mount `secret`. */
  path: string;
  key: string;
}

/** `bao agent` configuration: Kubernetes auto-auth as `role`, one template per rendered file, no token sink. */
export function agentConfig(role: string, secrets: RenderedSecret[], exitAfterAuth: boolean): string {
  const templates = secrets.map((s) =>
    [
      'template {',
      `  destination = "${vaultAgent.secretsDir}/${s.file}"`,
      `  contents    = "{{ with secret \\"secret/data/${s.path}\\" }}{{ index .Data.data \\"${s.key}\\" }}{{ end }}"`,
      '  perms       = "0440"',
      '}',
    ].join('\n'),
  );
  return [
    `exit_after_auth = ${exitAfterAuth}`,
    `pid_file        = "${vaultAgent.secretsDir}/.agent.pid"`,
    '',
    'vault {',
    `  address = "${vault.address}"`,
    // Vault's certificate comes from the internal CA, which no image trusts by itself.
    `  ca_cert = "${internalCa.mountDir}/${internalCa.file}"`,
    '}',
    '',
    'auto_auth {',
    '  method "kubernetes" {',
    '    mount_path = "auth/kubernetes"',
    '    config = {',
    `      role       = "${role}"`,
    `      token_path = "${VAULT_TOKEN_DIR}/token"`,
    '    }',
    '  }',
    '}',
    '',
    'template_config {',
    '  exit_on_retry_failure = true',
    '}',
    '',
    ...templates,
    '',
  ].join('\n');
}

export const AGENT_CONFIG_DIR = '/vault/config';

/**
 * Volumes the agent needs: its config (ConfigMap), the rendered secrets (memory), its Vault token and the internal
 * CA that signed Vault's certificate (the namespace's trust Secret, chart.ts).
 */
export function agentVolumes(configMap: string): Volume[] {
  return [
    { name: 'vault-agent-config', configMap: { name: configMap } },
    caBundleVolume('internal-ca', internalCa.trustSecret),
    { name: 'vault-secrets', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    {
      name: 'vault-token',
      projected: {
        sources: [{ serviceAccountToken: { audience: vault.audience, expirationSeconds: 600, path: 'token' } }],
      },
    },
  ];
}

export const secretsMount: VolumeMount = { name: 'vault-secrets', mountPath: vaultAgent.secretsDir, readOnly: true };

/** The agent container (sidecar keeps secrets fresh; init renders once before the application starts). */
export function agentContainer(name: string, args: string[] = []): Container {
  return {
    name,
    image: vault.image,
    command: ['bao', 'agent', `-config=${AGENT_CONFIG_DIR}/agent.hcl`, ...args],
    env: [{ name: 'SKIP_SETCAP', value: 'true' }],
    volumeMounts: [
      { name: 'vault-agent-config', mountPath: AGENT_CONFIG_DIR, readOnly: true },
      { name: 'vault-secrets', mountPath: vaultAgent.secretsDir },
      { name: 'vault-token', mountPath: VAULT_TOKEN_DIR, readOnly: true },
      { name: 'internal-ca', mountPath: internalCa.mountDir, readOnly: true },
    ],
    securityContext: restrictedContainer(AGENT_UID),
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
  };
}
