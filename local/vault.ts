import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveVaultBinary, type ResolvedBinary } from '@cf/embedded/binaries';
import { startVault, type VaultServer } from '@cf/embedded/vault';
// Subpaths, not the local mode's index: this half stays light (no kit, no zod), so the heavy half (vault-admin.ts)
// can load while Vault and PostgreSQL boot.
import { LocalKeyFile } from '@cf/vault-unsealer/local/key-file';
import { initializeOrUnseal } from '@cf/vault-unsealer/local/unseal';

export interface LocalVaultServer {
  address: string;
  server: VaultServer;
  binary: ResolvedBinary;
  /** Milliseconds spent obtaining the binary (0 when it was already here). */
  downloadMs: number;
  firstStart: boolean;
  /** The local mode's administrative login, from the key file. */
  rootToken: string;
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
 * vault-unsealer's local mode. Configuration and the services' tokens follow in vault-admin.ts.
 */
export async function startLocalVault(options: LocalVaultOptions): Promise<LocalVaultServer> {
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
    return { address: server.address, server, binary, downloadMs, firstStart, rootToken };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
