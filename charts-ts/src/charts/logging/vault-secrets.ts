import { k8s } from 'cdk8s-plus-27';
import { containerSecurity, resources, VAULT_TOKEN_DIR, vaultTokenVolume } from '../../lib/workload.ts';
import { caBundleVolume } from '../../lib/certificates.ts';
import { internalCa, vault } from '../../platform.ts';

/** KV v2 path (mount `secret`) under which the logging stack keeps what it generates: passwords, keys. */
export const LOGGING_KV_PATH = 'logging';
export const SECRETS_DIR = '/run/cf-secrets';

/** Who in the logging stack logs in to Vault (Kubernetes auth role = ServiceAccount name), and what it reads. */
export interface LoggingVaultClient {
  role: string;
  serviceAccount: string;
  namespace: string;
  /** Names under `secret/logging/`; created (random, 32 bytes) by the first pod that finds one missing. */
  secrets: string[];
}

// Runs in the OpenBao image (its `bao` CLI and busybox shell): log in with the pod's projected ServiceAccount
// token, then read each secret — creating it with check-and-set 0 when absent, so two pods racing agree on one
// value — into a memory-backed volume the main container reads. Nothing is printed.
const SCRIPT = `set -eu
umask 077
token=$(cat ${VAULT_TOKEN_DIR}/token)
VAULT_TOKEN=$(bao write -field=token auth/kubernetes/login role="$VAULT_ROLE" jwt="$token")
export VAULT_TOKEN
for name in $SECRET_NAMES; do
  if ! bao kv get -mount=secret -field=value "${LOGGING_KV_PATH}/$name" > "${SECRETS_DIR}/$name" 2>/dev/null; then
    head -c 32 /dev/urandom | base64 | tr -d '\\n/+=' > /tmp/candidate
    bao kv put -mount=secret -cas=0 "${LOGGING_KV_PATH}/$name" value=@/tmp/candidate > /dev/null 2>&1 || true
    bao kv get -mount=secret -field=value "${LOGGING_KV_PATH}/$name" > "${SECRETS_DIR}/$name"
  fi
done
rm -f /tmp/candidate`;

/** The init container and volumes that put a client's secrets into SECRETS_DIR before the main container starts. */
export function vaultSecretsInit(client: LoggingVaultClient): {
  init: k8s.Container;
  volumes: k8s.Volume[];
  mount: k8s.VolumeMount;
} {
  return {
    init: {
      name: 'vault-secrets',
      image: vault.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['/bin/sh', '-c', SCRIPT],
      env: [
        { name: 'VAULT_ADDR', value: vault.address },
        // Vault's certificate comes from the internal CA, which the OpenBao image does not trust by itself.
        { name: 'VAULT_CACERT', value: `${internalCa.mountDir}/${internalCa.file}` },
        { name: 'VAULT_ROLE', value: client.role },
        { name: 'SECRET_NAMES', value: client.secrets.join(' ') },
        { name: 'HOME', value: '/tmp' },
      ],
      resources: resources({ requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } }),
      securityContext: containerSecurity(100, true),
      volumeMounts: [
        { name: 'vault-token', mountPath: VAULT_TOKEN_DIR, readOnly: true },
        { name: 'cf-secrets', mountPath: SECRETS_DIR },
        { name: 'init-tmp', mountPath: '/tmp' },
        { name: 'internal-ca', mountPath: internalCa.mountDir, readOnly: true },
      ],
    },
    volumes: [
      vaultTokenVolume(vault.audience),
      { name: 'cf-secrets', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
      { name: 'init-tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
      // The namespace's trust Secret (chart.ts), of which only `ca.crt` is mounted.
      caBundleVolume('internal-ca', internalCa.trustSecret),
    ],
    mount: { name: 'cf-secrets', mountPath: SECRETS_DIR, readOnly: true },
  };
}

/** HCL for a logging client's policy: read and create its own names under secret/logging/, nothing else. */
export function loggingPolicy(client: LoggingVaultClient): string {
  return `${client.secrets
    .map((name) => `path "secret/data/${LOGGING_KV_PATH}/${name}" {\n  capabilities = ["create", "read"]\n}`)
    .join('\n\n')}\n`;
}
