/**
 * Vault roles and policies the monitoring stack needs, for vault-config.ts to add to the declarative
 * configuration (Kubernetes auth roles bound to our ServiceAccounts; KV v2 paths under mount `secret`).
 */
import { ns, vault } from '../../platform.ts';
import { vaultPaths } from './settings.ts';
import { alertmanager, grafana, vaultAgent } from './stack.ts';

export interface ObservabilityVaultAccess {
  roles: {
    name: string;
    serviceAccounts: string[];
    namespaces: string[];
    policies: string[];
    audience: string;
    ttl: string;
  }[];
  policies: { name: string; rules: string }[];
}

export function observabilityVaultAccess(): ObservabilityVaultAccess {
  const role = (name: string, serviceAccount: string) => ({
    name,
    serviceAccounts: [serviceAccount],
    namespaces: [ns.observability],
    policies: [name],
    audience: vault.audience,
    ttl: '1h',
  });
  return {
    roles: [
      role(vaultAgent.role.grafana, grafana.serviceAccount),
      role(vaultAgent.role.alertmanager, alertmanager.serviceAccount),
    ],
    policies: [
      {
        // Grafana's first pod creates the admin password (check-and-set 0), so create but never update.
        name: vaultAgent.role.grafana,
        rules: `path "secret/data/${vaultPaths.grafana}" {\n  capabilities = ["create", "read"]\n}\n`,
      },
      {
        name: vaultAgent.role.alertmanager,
        rules: `path "secret/data/${vaultPaths.alertmanager}" {\n  capabilities = ["read"]\n}\n`,
      },
    ],
  };
}
