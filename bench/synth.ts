// Wall time of `npm run synth` (both profiles, every chart written), median of several runs, against the
// goal of ≤ 5 s from issue 5. Baseline: a bare `node -e 0` measured in the same run, so machines of different
// speed compare by ratio. Also the in-process cost of building and synthesizing both Apps (no Node start-up).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthAll } from '../charts-ts/src/synth.ts';
import { formatMs, median, percentile, timeMs } from './stats.ts';

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const goalMs = 5000;
const repo = fileURLToPath(new URL('..', import.meta.url));

function spawnMs(command: string, args: string[]): Promise<number> {
  return timeMs(async () => {
    const result = spawnSync(command, args, { cwd: repo, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  });
}

const sample = async (action: () => Promise<number>): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < runs; i += 1) out.push(await action());
  return out;
};

const baseline = await sample(() => spawnMs(process.execPath, ['-e', '0']));
const npmSynth = await sample(() => spawnMs('npm', ['run', '--silent', 'synth']));
const nodeSynth = await sample(() => spawnMs(process.execPath, ['charts-ts/src/main.ts']));
const dir = mkdtempSync(join(tmpdir(), 'cf-bench-synth-'));
synthAll(dir); // warm module cache
const inProcess = await sample(() => timeMs(async () => synthAll(dir)));

const row = (name: string, samples: number[], target?: number): string => {
  const m = median(samples);
  const ratio = (m / median(baseline)).toFixed(1);
  const goal = target === undefined ? '' : ` — goal ≤ ${formatMs(target)}: ${m <= target ? 'met' : 'MISSED'}`;
  return `${name.padEnd(38)} median ${formatMs(m).padStart(8)}  p90 ${formatMs(percentile(samples, 90)).padStart(8)}  ×${ratio} baseline${goal}`;
};

console.log(`runs: ${runs}`);
console.log(row('baseline: node -e 0', baseline));
console.log(row('npm run synth (dev + prod)', npmSynth, goalMs));
console.log(row('node charts-ts/src/main.ts', nodeSynth, goalMs));
console.log(row('synthAll() in process (warm)', inProcess));
process.exit(median(npmSynth) <= goalMs ? 0 : 1);
