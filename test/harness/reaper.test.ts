import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive } from '@cf/embedded/pid';
import { scratchDir, spawnManaged, waitFor } from '../support/process.ts';

const starter = fileURLToPath(new URL('../fixtures/start-postgres-and-wait.ts', import.meta.url));

test('servers a test process started die with it even when it is SIGKILLed', async (t) => {
  const dir = scratchDir('reaper');
  const pidFile = join(dir, 'postgres.pid');
  const parent = spawnManaged(process.execPath, [starter, pidFile], {
    name: 'test process',
    logFile: join(dir, 'parent.log'),
  });
  const postgresPid = await waitFor(
    async () => {
      const text = readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }).trim();
      return text === '' ? undefined : Number(text);
    },
    { what: 'the child test process to start PostgreSQL', process: parent, timeoutMs: 30_000, intervalMs: 100 },
  );
  t.true(processAlive(postgresPid));
  // Kill only the parent node process, not its group: its reaper must clean up the rest.
  process.kill(parent.pid, 'SIGKILL');
  await parent.exited;
  await waitFor(async () => !processAlive(postgresPid), { what: 'PostgreSQL to be reaped', timeoutMs: 10_000 });
  t.false(processAlive(postgresPid));
  const leftovers = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dir));
  t.deepEqual(leftovers, []);
});
