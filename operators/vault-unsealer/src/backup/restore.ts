import { unsealRound } from '../unseal-round.ts';
import { healthStatus, initialize, sealStatus, unseal } from '../vault-http.ts';
import { verifySnapshot, type VerifiedSnapshot } from './snapshot.ts';

export interface RestoreOptions {
  /** API address of the first node of a fresh (uninitialized) raft cluster. */
  address: string;
  /** The snapshot file's bytes; verified before Vault is touched. */
  snapshot: Buffer;
  /** The ORIGINAL cluster's unseal keys (the key Secret): the snapshot carries that cluster's barrier. */
  keys: readonly string[];
  threshold: number;
  /**
   * Restarts the node's Vault process (on Kubernetes: deletes the pod; its StatefulSet brings it back on the
   * same volume) and resolves once it was asked to. Needed because OpenBao 2.7 keeps the replaced seal
   * configuration in memory after `snapshot-force` until it restarts: only then do the original keys open it.
   */
  restart: () => Promise<void>;
  /** Deadline for each wait (active node, unsealed, back after the restart). Default: 60 s. */
  waitMs?: number;
  log?: (message: string) => void;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`restore: ${what} did not happen within ${timeoutMs} ms`);
}

/**
 * The restore drill: verify the snapshot (refused before anything is written), initialize the fresh node with a
 * throw-away one-share key, unseal it, `POST sys/storage/raft/snapshot-force` with the throw-away root token
 * (whose token store the snapshot replaces), restart the node when it still shows the throw-away seal
 * configuration, then unseal with the original keys. Other pods then join and are
 * unsealed by the operator, which also re-applies the declared configuration. Refuses a node that is already
 * initialized: restoring over live data is not a drill.
 */
export async function restoreSnapshot(options: RestoreOptions): Promise<VerifiedSnapshot> {
  const log = options.log ?? (() => undefined);
  const waitMs = options.waitMs ?? 60_000;
  const verified = await verifySnapshot(options.snapshot);
  log(`snapshot verified: ${verified.bytes} bytes, raft index ${verified.index}, sha256 ${verified.sha256}`);
  const { address } = options;
  const status = await sealStatus(address);
  if (status.initialized)
    throw new Error(`restore: Vault at ${address} is already initialized; restore into a fresh cluster`);
  const temporary = await initialize(address, 1, 1);
  await unseal(address, temporary.keys[0]!);
  await waitUntil('the fresh node becoming active', async () => (await healthStatus(address)) === 200, waitMs);
  const response = await fetch(`${address}/v1/sys/storage/raft/snapshot-force`, {
    method: 'POST',
    headers: { 'x-vault-token': temporary.rootToken, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(options.snapshot),
    signal: AbortSignal.timeout(Math.max(waitMs, 60_000)),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`restore: sys/storage/raft/snapshot-force answered HTTP ${response.status}`);
  log('snapshot restored; unsealing with the original keys');
  // The node seals after the restore; OpenBao 2.7 then still reports (and uses) the throw-away seal
  // configuration until its process restarts.
  await waitUntil('the node sealing after the restore', async () => (await sealStatus(address)).sealed, waitMs);
  if ((await sealStatus(address)).t !== options.threshold) {
    log('restarting the node so that it loads the restored seal configuration');
    await options.restart();
    await waitUntil(
      'the node answering with the restored seal configuration',
      async () => (await sealStatus(address)).t === options.threshold,
      Math.max(waitMs, 300_000),
    );
  }
  await waitUntil(
    'unsealing with the original keys',
    async () => {
      const round = await unsealRound(address, options.keys, options.threshold);
      if (round.outcome === 'insufficient')
        throw new Error(`restore: the original keys do not open it: ${round.reason}`);
      return round.outcome === 'unsealed';
    },
    waitMs,
  );
  await waitUntil('the restored node becoming active', async () => (await healthStatus(address)) === 200, waitMs);
  log('restored node unsealed and active');
  return verified;
}
