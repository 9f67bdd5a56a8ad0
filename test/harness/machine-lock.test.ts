// The machine-wide lock that keeps podman's image builds and removals apart (containers.ts): one holder at a time,
// across processes and within one; and that the image changes podman makes for us take it.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { whileLocked } from '@cf/embedded/machine-lock';
import { imageStoreLock, podman, podmanMissing } from '../support/containers.ts';
import { scratchDir } from '../support/process.ts';

/** A pid no process has any more: a child that ran and was reaped. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

test('two holders of one lock never overlap, and the lock is gone after both', async (t) => {
  const lock = join(scratchDir('machine-lock'), 'store.lock');
  const events: string[] = [];
  const hold = (name: string) =>
    whileLocked(lock, async () => {
      events.push(`${name} in`);
      await sleep(200);
      events.push(`${name} out`);
    });
  await Promise.all([hold('a'), hold('b')]);
  t.deepEqual(events, ['a in', 'a out', 'b in', 'b out']);
  t.false(existsSync(lock));
});

test('a lock whose holder is gone is taken over at once', async (t) => {
  const lock = join(scratchDir('machine-lock'), 'store.lock');
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), String(deadPid()));
  t.is(await whileLocked(lock, async () => 'held', 5_000), 'held');
});

test('a lock held past the timeout fails naming its holder, and the work never runs', async (t) => {
  const lock = join(scratchDir('machine-lock'), 'store.lock');
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), String(process.pid));
  let ran = false;
  await t.throwsAsync(
    whileLocked(lock, async () => (ran = true), 300),
    { message: new RegExp(`held by ${process.pid} past 300 ms`) },
  );
  t.false(ran);
});

test('a lock is released when the work throws', async (t) => {
  const lock = join(scratchDir('machine-lock'), 'store.lock');
  await t.throwsAsync(
    whileLocked(lock, async () => Promise.reject(new Error('build failed'))),
    { message: 'build failed' },
  );
  t.false(existsSync(lock));
});

test("an image prune waits for whoever holds the machine's image-store lock", async (t) => {
  const missing = podmanMissing();
  if (missing !== undefined) return t.fail(missing);
  // The image store's lock lives in the binary cache; a cache of this test's own keeps the real lock free.
  const cache = scratchDir('machine-lock');
  process.env['CF_TEST_BIN_DIR'] = cache;
  let pruneDone = false;
  // Longer than an unlocked prune takes here (about 1 s), so a prune that ignored the lock would end inside it.
  const held = whileLocked(imageStoreLock(), async () => {
    await sleep(3_000);
    return pruneDone;
  });
  // A label no image carries: the prune removes nothing.
  const pruned = podman(['image', 'prune', '-f', '--filter', 'label=content-factory.test.never=1']).then(
    () => (pruneDone = true),
  );
  t.false(await held, 'the prune ended while the lock was held');
  await pruned;
  t.true(pruneDone);
});
