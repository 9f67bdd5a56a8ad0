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
  /** Deadline for each wait (active node, unsealed). Default: 60 s. */
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
 * (whose token store the snapshot replaces), then unseal with the original keys. Other pods then join and are
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
  // The node re-seals under the snapshot's barrier (OpenBao 2.7 reports unsealed with the original share count
  // for a moment first); keys sent before that would go to the throw-away barrier.
  await waitUntil(
    'the node sealing under the restored barrier',
    async () => (await sealStatus(address)).sealed,
    10_000,
  ).catch(() => log('the node did not seal after the restore; checking it is unsealed'));
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
