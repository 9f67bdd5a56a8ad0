import { ns, vault } from './platform.ts';
import type { Profile } from './profile.ts';

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
