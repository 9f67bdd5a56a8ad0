import { vaultConfiguration } from '@cf/charts/vault-config';
import { VaultClient } from '@cf/kit';
import {
  applyLocalConfiguration,
  issueServiceTokens,
  localConfiguration,
  revokeServiceTokens,
  type LocalDatabaseServer,
} from '@cf/vault-unsealer/local/index';

export interface LocalVaultAdmin {
  /** Root login of the local mode, for npm start's own writes (Telegram API credentials). */
  client: VaultClient;
  /** One token per service, carrying that service's policy from the cluster's configuration. */
  tokens: Map<string, string>;
  /**
   * Applies the cluster's declarative configuration (KV, transit, database engine, one policy per service) with the
   * database engine pointed at `database`; idempotent. Returns what changed.
   */
  configure(database: LocalDatabaseServer): Promise<string[]>;
  /** Revokes the services' tokens (and with them their database logins), then closes the client. */
  close(): Promise<void>;
}

/** The administrative half of the local Vault: tokens instead of Kubernetes auth, and the cluster's configuration. */
export async function administer(address: string, rootToken: string): Promise<LocalVaultAdmin> {
  const client = await VaultClient.connect({ endpoint: address, auth: { method: 'token', token: rootToken } });
  const clusterConfig = vaultConfiguration();
  // A token's policies are looked up on each request: they need not exist yet when it is issued.
  const tokens = await issueServiceTokens(
    client,
    clusterConfig.policies.map((policy) => policy.name),
  );
  return {
    client,
    tokens,
    configure: (database) => applyLocalConfiguration(client, localConfiguration(clusterConfig, database), database),
    async close() {
      await Promise.race([
        revokeServiceTokens(client, tokens.values()),
        new Promise((resolve) => setTimeout(resolve, 3000)),
      ]);
      client.close();
    },
  };
}
