import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SealStatus } from '@cf/vault-unsealer/vault-http';
import { resolveVaultBinary } from './binaries.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from './process.ts';

// One declaration of Vault's seal-status answer: the unsealer's, which drives it in production.
export type { SealStatus };

export interface VaultServer {
  /** e.g. `http://127.0.0.1:41234`. */
  address: string;
  mode: 'dev' | 'server';
  /** Root token of a dev server; undefined in server mode (initialize it to get one). */
  rootToken: string | undefined;
  process: ManagedProcess;
  sealStatus(): Promise<SealStatus>;
  /** Kills the process and starts it again on the same address and storage: a server comes back sealed. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface VaultOptions {
  /** `dev`: in-memory, unsealed, root token known. `server`: raft storage, starts uninitialized and sealed. */
  mode: 'dev' | 'server';
  /** Raft node id in server mode. Default: a random one. */
  nodeId?: string;
  /** Server mode: `retry_join` leader API addresses for a raft cluster. */
  retryJoin?: string[];
  /**
   * Loopback address to listen on (any of 127.0.0.0/8 on Linux), so several servers can share one port the
   * way pods share one container port behind different pod IPs. Default: `127.0.0.1`.
   */
  host?: string;
  /** API port. Default: a free port. */
  port?: number;
  /** Server mode: raft cluster port. Default: a free port. */
  clusterPort?: number;
  /**
   * Server mode: keep config, raft storage and log in this directory and reuse them on the next start
   * (`npm start`). Default: a fresh scratch directory, as every test wants.
   */
  dir?: string;
  /** Progress lines while the binary is obtained (first use on a machine). */
  progress?: (line: string) => void;
}

async function sealStatusOf(address: string): Promise<SealStatus> {
  const response = await fetch(`${address}/v1/sys/seal-status`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`seal-status answered ${response.status}`);
  return (await response.json()) as SealStatus;
}

/** A real Vault (OpenBao) server on a loopback port: the pinned binary, obtained on first use. */
export async function startVault(options: VaultOptions): Promise<VaultServer> {
  const { path: binary } = await resolveVaultBinary(options.progress);
  const dir = options.dir ?? scratchDir(`vault-${options.mode}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const clusterPort = options.clusterPort ?? (await freePort());
  const address = `http://${host}:${port}`;
  const rootToken = options.mode === 'dev' ? `root-${randomBytes(12).toString('hex')}` : undefined;
  let args: string[];
  if (options.mode === 'dev') {
    args = [
      'server',
      '-dev',
      `-dev-root-token-id=${rootToken}`,
      `-dev-listen-address=${host}:${port}`,
      '-dev-no-store-token',
    ];
  } else {
    const storage = join(dir, 'raft');
    mkdirSync(storage, { recursive: true, mode: 0o700 });
    const joins = (options.retryJoin ?? [])
      .map((leader) => `  retry_join {\n    leader_api_addr = "${leader}"\n  }\n`)
      .join('');
    const config = [
      `storage "raft" {`,
      `  path = "${storage}"`,
      `  node_id = "${options.nodeId ?? (options.dir !== undefined ? 'node-0' : `node-${randomBytes(4).toString('hex')}`)}"`,
      joins,
      `}`,
      `listener "tcp" {`,
      `  address = "${host}:${port}"`,
      `  cluster_address = "${host}:${clusterPort}"`,
      `  tls_disable = true`,
      `}`,
      `api_addr = "${address}"`,
      `cluster_addr = "https://${host}:${clusterPort}"`,
      `disable_mlock = true`,
      `ui = false`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'vault.hcl'), config);
    args = ['server', `-config=${join(dir, 'vault.hcl')}`];
  }
  const env = { VAULT_ADDR: address, HOME: dir, VAULT_LOG_LEVEL: 'warn' };
  let server = spawnManaged(binary, args, { name: `vault-${options.mode}`, logFile: join(dir, 'vault.log'), env });
  const ready = async (proc: ManagedProcess): Promise<void> => {
    await waitFor(
      async () => {
        const status = await sealStatusOf(address);
        return options.mode === 'server' || !status.sealed;
      },
      { what: `Vault (${options.mode}) to answer`, process: proc, timeoutMs: 30_000 },
    );
  };
  await ready(server);
  const handle: VaultServer = {
    address,
    mode: options.mode,
    rootToken,
    get process() {
      return server;
    },
    sealStatus: () => sealStatusOf(address),
    async restart() {
      await server.kill();
      server = spawnManaged(binary, args, { name: `vault-${options.mode}`, logFile: join(dir, 'vault.log'), env });
      await ready(server);
    },
    stop: () => server.stop(),
  };
  return handle;
}
