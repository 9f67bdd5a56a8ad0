import test from 'ava';
import { podAddress, WorkQueue } from '@cf/vault-unsealer';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A reconcile that takes 50 ms and counts its runs and how many of them ever ran at once. */
function countingReconcile() {
  const seen = { running: 0, maxConcurrent: 0, runs: 0 };
  const process = async (): Promise<undefined> => {
    seen.running += 1;
    seen.maxConcurrent = Math.max(seen.maxConcurrent, seen.running);
    seen.runs += 1;
    await sleep(50);
    seen.running -= 1;
    return undefined;
  };
  return { seen, process };
}

test('a pod key is never reconciled twice at once, and a change during a reconcile runs it once more', async (t) => {
  const { seen, process } = countingReconcile();
  const queue = new WorkQueue({ workers: 4, process });
  queue.start();
  queue.add('vault-0');
  await sleep(10);
  for (let i = 0; i < 20; i += 1) queue.add('vault-0'); // twenty events while it runs
  await sleep(200);
  await queue.shutdown();
  t.is(seen.maxConcurrent, 1);
  t.is(seen.runs, 2, 'the events collapse into one more run');
});

test('different pods are reconciled in parallel', async (t) => {
  const { seen, process } = countingReconcile();
  const queue = new WorkQueue({ workers: 3, process });
  queue.start();
  for (const pod of ['vault-0', 'vault-1', 'vault-2']) queue.add(pod);
  await sleep(120);
  await queue.shutdown();
  t.is(seen.maxConcurrent, 3);
});

test('failures are retried with exponentially growing, jittered delays', async (t) => {
  const at: number[] = [];
  const queue = new WorkQueue({
    baseMs: 20,
    maxMs: 10_000,
    process: async () => {
      at.push(Date.now());
      throw new Error('Vault unreachable');
    },
  });
  queue.start();
  queue.add('vault-0');
  await sleep(900);
  await queue.shutdown();
  const gaps = at.slice(1).map((time, index) => time - at[index]!);
  t.true(gaps.length >= 2 && gaps.length <= 7, `retries: ${gaps.length}`);
  // Delay n lies within [0.5, 1.5] × 20 ms × 2^n (plus timer slack).
  gaps.forEach((gap, n) => {
    t.true(gap >= 0.5 * 20 * 2 ** n - 2, `gap ${n}: ${gap} ms`);
    t.true(gap <= 1.5 * 20 * 2 ** n + 100, `gap ${n}: ${gap} ms`);
  });
  const samples = Array.from({ length: 50 }, () => queue.backoffMs('never-failed'));
  t.true(new Set(samples).size > 10, 'jitter spreads retries of different pods');
});

test('the address template renders pod DNS names and pod IPs, and waits for a missing IP', (t) => {
  const pod = { metadata: { name: 'vault-1', namespace: 'cf-vault' }, status: { podIP: '10.1.2.3' } };
  t.is(
    podAddress('http://{pod}.{service}.{namespace}.svc:8200', pod, 'vault-internal', 'x'),
    'http://vault-1.vault-internal.cf-vault.svc:8200',
  );
  t.is(podAddress('http://{podIP}:8200', pod, 'vault-internal', 'cf-vault'), 'http://10.1.2.3:8200');
  t.is(podAddress('http://{podIP}:8200', { metadata: { name: 'vault-2' }, status: {} }, 's', 'n'), undefined);
});
