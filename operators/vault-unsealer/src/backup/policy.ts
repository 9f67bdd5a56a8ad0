import type { VaultConfigurationInput } from '../vault-config.ts';
import { kvPolicyPath } from './object-store-secret.ts';

/** Name of the Vault policy and Kubernetes-auth role of the snapshot CronJob. */
export const SNAPSHOT_POLICY_NAME = 'vault-snapshot';

/**
 * The snapshot job's whole authority: read `sys/storage/raft/snapshot` (taking a snapshot is a read there;
 * OpenBao/Vault API docs, "sys/storage/raft"). Nothing else — no transit, no snapshot restore, and of KV only the
 * object-store secret when `snapshotConfiguration` is given one.
 */
export const SNAPSHOT_POLICY = `# Managed by vault-unsealer: taking raft snapshots, nothing else.
path "sys/storage/raft/snapshot" { capabilities = ["read"] }
`;

/**
 * The configuration fragment that gives the snapshot job its policy and Kubernetes-auth role; merge it into the
 * declarative configuration (charts-ts does, beside the services' own roles).
 */
export function snapshotConfiguration(options: {
  serviceAccount: string;
  namespace: string;
  /**
   * KV v2 secret (`<mount>/<path>`) holding the object store's endpoint and credentials (object-store-secret.ts):
   * the one KV path the role may read. Omit when snapshots go to a directory.
   */
  objectStoreSecret?: string;
  /** Token TTL of a snapshot login. Default: 15m (one snapshot, then revoked). */
  ttl?: string;
}): Required<Pick<VaultConfigurationInput, 'policies'>> & {
  role: { name: string; serviceAccounts: string[]; namespaces: string[]; policies: string[]; ttl: string };
} {
  return {
    policies: [
      {
        name: SNAPSHOT_POLICY_NAME,
        rules:
          options.objectStoreSecret === undefined
            ? SNAPSHOT_POLICY
            : `${SNAPSHOT_POLICY}path "${kvPolicyPath(options.objectStoreSecret)}" { capabilities = ["read"] }\n`,
      },
    ],
    role: {
      name: SNAPSHOT_POLICY_NAME,
      serviceAccounts: [options.serviceAccount],
      namespaces: [options.namespace],
      policies: [SNAPSHOT_POLICY_NAME],
      ttl: options.ttl ?? '15m',
    },
  };
}
