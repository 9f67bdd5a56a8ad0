import { VaultConfiguration, type DatabaseEngine, type VaultConfigurationInput } from '@cf/vault-unsealer/vault-config';
import type { z } from 'zod';
import { observabilityVaultAccess } from './charts/observability/vault-access.ts';
import { loggingVaultClients } from './charts/logging/chart.ts';
import { loggingPolicy } from './charts/logging/vault-secrets.ts';
import { vaultBackupConfiguration } from './charts/vault-backup.ts';
import { ns, postgres, services, TELEGRAM_SESSION_KEY, TWO_FACTOR_SECRET_KEY, vault } from './platform.ts';

type DatabaseRoleInput = z.input<typeof DatabaseEngine>['roles'][number];

/** Vault database-engine role of a service: logins that `SET ROLE` to the database's owner role. */
function databaseRole(serviceName: string, database: string): DatabaseRoleInput {
  return {
    name: serviceName,
    connection: serviceName,
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${database};`,
      `ALTER ROLE "{{name}}" SET ROLE ${database};`,
    ],
    revocationStatements: [
      `REASSIGN OWNED BY "{{name}}" TO ${database};`,
      `DROP OWNED BY "{{name}}";`,
      `DROP ROLE IF EXISTS "{{name}}";`,
    ],
    defaultTtl: '1h',
    maxTtl: '24h',
  };
}

/** HCL for one service's least-privilege policy: its own KV path, its database role, its transit keys. */
export function servicePolicy(name: string): string {
  const spec = services.find((s) => s.name === name);
  if (spec === undefined) throw new Error(`unknown service ${name}`);
  const blocks: string[] = [];
  if (spec.kv !== undefined) {
    const caps = spec.kv.write ? '["create", "read", "update"]' : '["read"]';
    blocks.push(`path "secret/data/${spec.kv.path}/*" {\n  capabilities = ${caps}\n}`);
    blocks.push(`path "secret/metadata/${spec.kv.path}/*" {\n  capabilities = ["read", "list"]\n}`);
  }
  // An exact path outranks the glob above (Vault's most-specific-match rule): read, never overwritten.
  for (const path of spec.kvReadOnly ?? []) {
    blocks.push(`path "secret/data/${path}" {\n  capabilities = ["read"]\n}`);
  }
  if (spec.database !== undefined) {
    blocks.push(`path "database/creds/${name}" {\n  capabilities = ["read"]\n}`);
    blocks.push(`path "sys/leases/renew" {\n  capabilities = ["update"]\n}`);
  }
  for (const key of spec.transitKeys) {
    blocks.push(`path "transit/encrypt/${key}" {\n  capabilities = ["update"]\n}`);
    blocks.push(`path "transit/decrypt/${key}" {\n  capabilities = ["update"]\n}`);
  }
  return `${blocks.join('\n\n')}\n`;
}

/** The declarative configuration vault-unsealer applies; validated with the operator's own schema. */

/** A Kubernetes auth role: one ServiceAccount of one namespace logs in for the policy of the same name. */
function kubernetesRole(name: string, serviceAccount: string, namespace: string, ttl: string) {
  return {
    name,
    serviceAccounts: [serviceAccount],
    namespaces: [namespace],
    policies: [name],
    audience: vault.audience,
    ttl,
  };
}

export function vaultConfiguration(): VaultConfiguration {
  const withDb = services.filter((s) => s.database !== undefined);
  const withVault = services.filter((s) => s.vault);
  // Grafana creates and reads its admin password, Alertmanager reads its receivers' secrets (observability chart).
  const observability = observabilityVaultAccess();
  const backup = vaultBackupConfiguration();
  const input: VaultConfigurationInput = {
    secretEngines: [
      { type: 'kv-v2', path: 'secret', description: 'Service secrets and Telegram API credentials' },
      {
        type: 'transit',
        path: 'transit',
        description: 'Encryption of Telegram session strings and TOTP secrets',
        keys: [
          { name: TELEGRAM_SESSION_KEY, type: 'aes256-gcm96' },
          { name: TWO_FACTOR_SECRET_KEY, type: 'aes256-gcm96' },
        ],
      },
      {
        type: 'database',
        path: 'database',
        description: 'Short-lived PostgreSQL logins, one role per service',
        connections: withDb.map((s) => ({
          name: s.name,
          plugin: 'postgresql-database-plugin' as const,
          // verify-full: the server certificate chains to the internal CA (mounted with Vault's own) and names the host.
          connectionUrl: `postgresql://{{username}}:{{password}}@${postgres.rwService}:${postgres.port}/${s.database}?sslmode=verify-full&sslrootcert=${vault.tlsDir}/ca.crt`,
          adminCredentialsSecret: {
            name: postgres.vaultAdminSecret,
            namespace: ns.data,
            usernameKey: 'username',
            passwordKey: 'password',
          },
          allowedRoles: [s.name],
        })),
        roles: withDb.map((s) => databaseRole(s.name, s.database!)),
      },
    ],
    auth: {
      kubernetes: {
        path: 'kubernetes',
        roles: [
          ...withVault.map((s) => kubernetesRole(s.name, s.name, ns.apps, '1h')),
          // The logging stack's init containers: one login to fetch (or create) generated passwords, then gone.
          ...loggingVaultClients.map((c) => kubernetesRole(c.role, c.serviceAccount, c.namespace, '10m')),
          ...observability.roles,
          // The snapshot CronJob's login (issue 19): read on sys/storage/raft/snapshot, nothing else.
          { ...backup.role, audience: vault.audience },
        ],
      },
    },
    policies: [
      ...withVault.map((s) => ({ name: s.name, rules: servicePolicy(s.name) })),
      ...loggingVaultClients.map((c) => ({ name: c.role, rules: loggingPolicy(c) })),
      ...observability.policies,
      ...backup.policies,
    ],
  };
  return VaultConfiguration.parse(input);
}
