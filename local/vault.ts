import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveVaultBinary, type ResolvedBinary } from '@cf/embedded/binaries';
import { startVault, type VaultServer } from '@cf/embedded/vault';
import { vaultConfiguration } from '@cf/charts/vault-config';
import { VaultClient } from '@cf/kit';
import {
  applyLocalConfiguration,
  initializeOrUnseal,
  issueServiceTokens,
  LocalKeyFile,
  localConfiguration,
  revokeServiceTokens,
  type LocalDatabaseServer,
} from '@cf/vault-unsealer/local/index';

export interface LocalVault {
  address: string;
  server: VaultServer;
  binary: ResolvedBinary;
  /** Milliseconds spent obtaining the binary (0 when it was already here). */
  downloadMs: number;
  firstStart: boolean;
  /** One token per service, carrying that service's policy from the cluster's configuration. */
  tokens: Map<string, string>;
  /** Root login of the local mode (from the key file), for npm start's own writes (Telegram API credentials). */
  admin: VaultClient;
  /**
   * Applies the cluster's declarative configuration with the database engine pointed at `database`; idempotent.
   * Returns what changed.
   */
  configure(database: LocalDatabaseServer): Promise<string[]>;
  stop(): Promise<void>;
}

export interface LocalVaultOptions {
  /** `.local/`; Vault keeps its storage in `vault/` and its keys in `vault-keys.json`. */
  state: string;
  /** Listener ports of a first start; later starts keep the ports raft recorded then. */
  port: number;
  clusterPort: number;
  progress: (line: string) => void;
}

/**
 * Vault in server mode with raft storage under `.local/vault`, initialized once and unsealed on every start by
 * vault-unsealer's local mode, with a token per service instead of Kubernetes auth. `configure()` then applies the
 * cluster's declarative configuration (KV, transit, database engine against the local PostgreSQL, one policy per
 * service): separate, so Vault and PostgreSQL start side by side.
 */
export async function startLocalVault(options: LocalVaultOptions): Promise<LocalVault> {
  const dir = join(options.state, 'vault');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Raft remembers this node's cluster address: the ports of the first start stay.
  const listenerFile = join(dir, 'listener.json');
  const listener = existsSync(listenerFile)
    ? (JSON.parse(readFileSync(listenerFile, 'utf8')) as { port: number; clusterPort: number })
    : { port: options.port, clusterPort: options.clusterPort };
  writeFileSync(listenerFile, `${JSON.stringify(listener)}\n`);
  const firstStart = !existsSync(join(dir, 'raft', 'raft.db'));

  const downloadStarted = Date.now();
  let downloaded = false;
  const binary = await resolveVaultBinary((line) => {
    downloaded = true;
    options.progress(`[vault] ${line}`);
  });
  const downloadMs = downloaded ? Date.now() - downloadStarted : 0;

  const server = await startVault({
    mode: 'server',
    dir,
    nodeId: 'local-0',
    port: listener.port,
    clusterPort: listener.clusterPort,
  });
  try {
    const { rootToken } = await initializeOrUnseal({
      address: server.address,
      keyFile: new LocalKeyFile(join(options.state, 'vault-keys.json')),
      progress: (line) => options.progress(`[vault] ${line}`),
    });
    const admin = await VaultClient.connect({ endpoint: server.address, auth: { method: 'token', token: rootToken } });
    // Tokens name policies, which need not exist yet: a token's policies are looked up on each request.
    const clusterConfig = vaultConfiguration();
    const tokens = await issueServiceTokens(
      admin,
      clusterConfig.policies.map((policy) => policy.name),
    );
    return {
      address: server.address,
      server,
      binary,
      downloadMs,
      firstStart,
      tokens,
      admin,
      async configure(database) {
        const config = localConfiguration(clusterConfig, database);
        return applyLocalConfiguration(admin, config, database);
      },
      async stop() {
        // Revoking a service's token revokes its database logins too (their leases hang off it).
        await Promise.race([
          revokeServiceTokens(admin, tokens.values()),
          new Promise((resolve) => setTimeout(resolve, 3000)),
        ]);
        admin.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
