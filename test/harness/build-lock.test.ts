import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from '@cf/embedded/binaries';
import { scratchDir } from '../support/process.ts';

/** A pid no process has any more: a child that ran and was reaped. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

/** A lock directory as a builder leaves it, naming `pid`. */
function lockHeldBy(target: string, pid: number): void {
  mkdirSync(`${target}.lock`);
  writeFileSync(join(`${target}.lock`, 'pid'), String(pid));
}

test('a build lock whose builder is gone is taken over at once, not after 90 minutes', async (t) => {
  t.timeout(30_000);
  const target = join(scratchDir('build-lock'), 'tool');
  lockHeldBy(target, deadPid());
  const source = await buildOnce(
    target,
    () => existsSync(target),
    async () => writeFileSync(target, 'built'),
  );
  t.is(source, 'built');
  t.false(existsSync(`${target}.lock`), 'the lock is released after the build');
});

test("a build lock whose builder is alive makes another caller wait for the builder's result", async (t) => {
  t.timeout(30_000);
  const target = join(scratchDir('build-lock'), 'tool');
  lockHeldBy(target, process.pid);
  let built = false;
  const waiting = buildOnce(
    target,
    () => existsSync(target),
    async () => {
      built = true;
    },
  );
  // The live builder finishes a moment later.
  setTimeout(() => writeFileSync(target, 'built by the lock holder'), 1000);
  t.is(await waiting, 'cache');
  t.false(built, 'the waiting caller never built');
});
