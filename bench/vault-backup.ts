// Snapshot and restore time of a Vault holding 10,000 KV entries and 1,000 transit-encrypted sessions, against
// the same operations on an empty Vault measured in the same run (the baseline). Snapshot = take
// (`sys/storage/raft/snapshot`) + verify; restore = the restore drill (`restoreSnapshot`: verify, throw-away
// init, `snapshot-force`, unseal with the original keys, active) into a fresh node.
import { randomBytes } from 'node:crypto';
import { restoreSnapshot } from '../operators/vault-unsealer/src/backup/restore.ts';
import { takeSnapshot, verifySnapshot } from '../operators/vault-unsealer/src/backup/snapshot.ts';
import { initializeAndUnseal } from '../operators/vault-unsealer/src/unseal-round.ts';
import { healthStatus } from '../operators/vault-unsealer/src/vault-http.ts';
import { startVault, type VaultServer } from '@cf/embedded/vault';
import { formatMs, timeMs } from './stats.ts';

const KV_ENTRIES = Number(process.env['BENCH_KV'] ?? 10_000);
const TRANSIT_VALUES = Number(process.env['BENCH_TRANSIT'] ?? 1000);
const started: VaultServer[] = [];

async function freshVault(): Promise<{ vault: VaultServer; keys: string[]; root: string }> {
  const vault = await startVault({ mode: 'server' });
  started.push(vault);
  let keys: string[] = [];
  let root = '';
  await initializeAndUnseal(vault.address, {
    shares: 5,
    threshold: 3,
    keys: async () => undefined,
    store: async (init) => {
      keys = init.keys;
      root = init.rootToken;
    },
  });
  for (let i = 0; i < 200 && (await healthStatus(vault.address)) !== 200; i += 1)
    await new Promise((r) => setTimeout(r, 100));
  return { vault, keys, root };
}

async function call(address: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return response.status === 204 ? undefined : response.json();
}

async function inParallel(count: number, width: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function measure(
  label: string,
  fill: boolean,
): Promise<{ snapshotMs: number; restoreMs: number; bytes: number }> {
  const source = await freshVault();
  const { address } = source.vault;
  await call(address, source.root, 'POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  await call(address, source.root, 'POST', 'sys/mounts/transit', { type: 'transit' });
  await call(address, source.root, 'POST', 'transit/keys/telegram-sessions', {});
  if (fill) {
    await inParallel(KV_ENTRIES, 16, (i) =>
      call(address, source.root, 'POST', `secret/data/bench/${i}`, {
        data: { value: randomBytes(32).toString('hex') },
      }),
    );
    await inParallel(TRANSIT_VALUES, 16, async (i) => {
      const answer = (await call(address, source.root, 'POST', 'transit/encrypt/telegram-sessions', {
        plaintext: randomBytes(512).toString('base64'),
      })) as { data: { ciphertext: string } };
      await call(address, source.root, 'POST', `secret/data/sessions/${i}`, {
        data: { ciphertext: answer.data.ciphertext },
      });
    });
  }
  let snapshot: Buffer = Buffer.alloc(0);
  const snapshotMs = await timeMs(async () => {
    snapshot = await takeSnapshot(address, source.root);
    await verifySnapshot(snapshot);
  });
  const target = await startVault({ mode: 'server' });
  started.push(target);
  const restoreMs = await timeMs(() =>
    restoreSnapshot({
      address: target.address,
      snapshot,
      keys: source.keys,
      threshold: 3,
      restart: () => target.restart(),
    }),
  );
  console.log(
    `${label}: snapshot ${formatMs(snapshotMs)} (${(snapshot.length / 1024).toFixed(0)} KiB), restore ${formatMs(restoreMs)}`,
  );
  return { snapshotMs, restoreMs, bytes: snapshot.length };
}

try {
  const baseline = await measure('empty Vault (baseline)', false);
  const full = await measure(`${KV_ENTRIES} KV entries + ${TRANSIT_VALUES} transit-encrypted values`, true);
  console.log(
    `ratio to baseline: snapshot ${(full.snapshotMs / baseline.snapshotMs).toFixed(2)}×, restore ${(full.restoreMs / baseline.restoreMs).toFixed(2)}×, size ${(full.bytes / baseline.bytes).toFixed(1)}×`,
  );
} finally {
  await Promise.allSettled(started.map((vault) => vault.stop()));
}
