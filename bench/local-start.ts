// `npm start` to ready: the first run on a fresh state directory (Vault initialized, PostgreSQL created; the one-time
// OpenBao download is reported separately, never part of the number) and warm restarts on the same state (Vault
// unsealed from the key file). Measured from spawning `npm start` (bootstrap and npm included) to its "ready" line,
// with npm start's own stage stamps for where the time goes. Baseline: a bare `node -e 0` in the same run.
// Goal (issue 12): warm ≤ 5 s including the unseal.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, scratchDir, spawnManaged } from '@cf/embedded/process';
import { formatMs, median, timeMs } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const warmRuns = Number(process.env['BENCH_RUNS'] ?? 3);
const GOAL_WARM_MS = 5000;

const baseline = median(
  await Promise.all(Array.from({ length: 5 }, () => timeMs(async () => spawnSync(process.execPath, ['-e', '0'])))),
);

interface Run {
  ms: number;
  /** OpenBao download inside this run (first run on a machine only). */
  downloadMs: number;
  /** What npm start reports itself: from its first line of code to ready (excludes npm, bootstrap, node boot). */
  selfMs: number;
  /** npm start's own progress stamps: seconds since its start, per stage. */
  stages: [string, number][];
}

async function npmStart(state: string, port: number): Promise<Run> {
  const log = join(state, `bench-${Date.now()}.out`);
  const started = Date.now();
  const proc = spawnManaged('npm', ['start'], {
    name: 'npm start',
    logFile: log,
    cwd: root,
    env: { CF_LOCAL_STATE: state, PORT: String(port) },
  });
  let output = '';
  while (!/ready in [\d.]+ s/.test(output)) {
    if (Date.now() - started > 300_000) throw new Error(`npm start not ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    output = readFileSync(log, 'utf8');
  }
  const ms = Date.now() - started;
  await proc.stop(30_000, 'SIGINT');
  const download = /of which ([\d.]+) s obtaining the OpenBao binary/.exec(output);
  const stages = [...output.matchAll(/^·\s+([\d.]+) s\s+(.+)$/gm)].map(
    (m) => [m[2]!, Number(m[1]) * 1000] as [string, number],
  );
  const self = Number(/ready in ([\d.]+) s/.exec(output)![1]) * 1000;
  return {
    ms,
    selfMs: self,
    downloadMs: download ? Number(download[1]) * 1000 : 0,
    stages: [...stages, ['ready', self]],
  };
}

const port = 20_000 + ((await freePort()) % 30_000);
const state = scratchDir('bench-local-start');
const first = await npmStart(state, port);
const warm: Run[] = [];
for (let run = 0; run < warmRuns; run += 1) warm.push(await npmStart(state, port));
const warmMedian = median(warm.map((run) => run.ms));

console.log(`baseline: bare node process ${formatMs(baseline)}`);
console.log('run | to ready | × baseline | goal');
console.log(
  `first (fresh state, Vault init) | ${formatMs(first.ms - first.downloadMs)} | ${((first.ms - first.downloadMs) / baseline).toFixed(0)}× | —`,
);
if (first.downloadMs > 0)
  console.log(`  OpenBao download (once per machine, excluded above): ${formatMs(first.downloadMs)}`);
console.log(
  `warm restart (unseal), median of ${warmRuns} | ${formatMs(warmMedian)} | ${(warmMedian / baseline).toFixed(0)}× | ≤ ${formatMs(GOAL_WARM_MS)} ${warmMedian <= GOAL_WARM_MS ? 'met' : 'NOT met'}`,
);
console.log(`  warm samples: ${warm.map((run) => formatMs(run.ms)).join(', ')}`);
console.log(
  `  of which npm start's own code (first line to ready), median: ${formatMs(median(warm.map((run) => run.selfMs)))}; the rest is npm, the bootstrap check and node's boot`,
);
const typical = warm[Math.floor(warm.length / 2)]!;
console.log('  where a warm start spends its time (npm start stamps, since its own start):');
for (const [stage, at] of typical.stages) console.log(`    ${formatMs(at).padStart(8)}  ${stage}`);
