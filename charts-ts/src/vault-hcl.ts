import { auditDeviceHcl } from '@cf/vault-unsealer/audit';
import { ns, vault } from './platform.ts';
import type { Profile } from './profile.ts';

/**
 * Vault's server configuration: a TLS listener, raft storage with retry_join over TLS (verified against the
 * internal CA), Kubernetes service registration, metrics, and the file audit device on stdout (HMAC'd values,
 * to the logging pipeline with the container's log; OpenBao ≥ 2.3 accepts audit devices only from its config).
 */
export function vaultServerConfig(profile: Profile): string {
  const joins = Array.from({ length: profile.vault.replicas }, (_, i) =>
    [
      '  retry_join {',
      `    leader_api_addr     = "https://${vault.name}-${i}.${vault.headless}.${ns.vault}.svc:${vault.apiPort}"`,
      `    leader_ca_cert_file = "${vault.tlsDir}/ca.crt"`,
      '  }',
    ].join('\n'),
  );
  return [
    // OpenBao has no mlock setting (it warns about `disable_mlock` as an unknown field).
    'ui = true',
    '',
    'listener "tcp" {',
    `  address         = "[::]:${vault.apiPort}"`,
    `  cluster_address = "[::]:${vault.clusterPort}"`,
    // cert-manager's Certificate `vault-tls` (internal CA), mounted at tlsDir; raft's cluster port has its own TLS.
    `  tls_cert_file   = "${vault.tlsDir}/tls.crt"`,
    `  tls_key_file    = "${vault.tlsDir}/tls.key"`,
    '  tls_min_version = "tls12"',
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
    auditDeviceHcl(),
  ].join('\n');
}
