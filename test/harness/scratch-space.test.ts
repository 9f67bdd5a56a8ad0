import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Each case runs the harness module in a child with its own TMPDIR, so the real scratch root is never pruned.
function inPrivateTmp(env: Record<string, string>, script: string): { tmp: string; run: () => string } {
  const tmp = mkdtempSync(join(tmpdir(), 'scratch-space-'));
  const run = (): string =>
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TMPDIR: tmp, ...env },
      encoding: 'utf8',
    });
  return { tmp, run };
}

/** Harness directories under `root`, each last changed the given number of minutes ago. */
function kept(root: string, ages: Record<string, number>): void {
  for (const [name, minutes] of Object.entries(ages)) {
    mkdirSync(join(root, name), { recursive: true });
    const at = new Date(Date.now() - minutes * 60_000);
    utimesSync(join(root, name), at, at);
  }
}

const ask = `import { scratchSpaceProblem } from '@cf/embedded/process'; console.log(scratchSpaceProblem() ?? 'room');`;

test('a disk with less free space than the suites want is one message naming the minimum and what to remove', (t) => {
  const { tmp, run } = inPrivateTmp({ CF_TEST_MIN_FREE_GB: '1000000' }, ask);
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const said = run();
  t.regex(said, /GiB free under .*cf-test \(the suites want 1000000, CF_TEST_MIN_FREE_GB\)/);
  t.regex(said, /podman image prune/);
});

test('a disk with room says nothing', (t) => {
  const { tmp, run } = inPrivateTmp({ CF_TEST_MIN_FREE_GB: '0' }, ask);
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  t.is(run().trim(), 'room');
});

test('short of space, kept harness directories go oldest first, and ones a running harness may own stay', (t) => {
  const { tmp, run } = inPrivateTmp({ CF_TEST_MIN_FREE_GB: '1000000', CF_TEST_KEEP_HOURS: '100' }, ask);
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const root = join(tmp, 'cf-test');
  kept(root, { old: 120, older: 240, recent: 5 });
  run();
  t.false(existsSync(join(root, 'older')));
  t.false(existsSync(join(root, 'old')));
  t.true(existsSync(join(root, 'recent')));
});

test('with room on the disk, directories younger than the keep time stay', (t) => {
  const { tmp, run } = inPrivateTmp({ CF_TEST_MIN_FREE_GB: '0', CF_TEST_KEEP_HOURS: '3' }, ask);
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const root = join(tmp, 'cf-test');
  kept(root, { stale: 240, kept: 120 });
  run();
  t.false(existsSync(join(root, 'stale')));
  t.true(existsSync(join(root, 'kept')));
});
