/**
 * Stryker's command runner (`npm run mutate`) runs one command for every mutant; this is that command. It runs ava
 * on only the test files that specify the module holding the active mutant, as named by the config's
 * `testsByFile`, instead of every suite of the area: the command runner knows nothing of coverage, and under
 * `coverageAnalysis: "off"` each mutant otherwise pays for the slowest suite of its area.
 *
 * The module is found by the mutant's switch, `stryMutAct_9fa48("<id>")`, in the instrumented sources (Stryker
 * mutates in place). The dry run, which has no active mutant, runs the tests of every instrumented module, so
 * Stryker sees all of them green before it starts.
 *
 * Usage: node test/mutation/tests-for-mutant.ts <stryker.json> [ava options...]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [configPath, ...avaOptions] = process.argv.slice(2);
if (configPath === undefined) throw new Error('usage: tests-for-mutant.ts <stryker.json> [ava options...]');
const config = JSON.parse(readFileSync(configPath, 'utf8')) as { testsByFile?: Record<string, string[]> };
const testsByFile = config.testsByFile ?? {};
if (Object.keys(testsByFile).length === 0) throw new Error(`${configPath} names no testsByFile`);

const mutant = process.env['__STRYKER_ACTIVE_MUTANT__'];
// The dry run has no active mutant: the tests of every module this run instrumented (a `--mutate` subset).
const marker = mutant === undefined ? 'stryMutAct_9fa48(' : `stryMutAct_9fa48("${mutant}")`;
const holding = Object.keys(testsByFile).filter((file) => readFileSync(file, 'utf8').includes(marker));
// No module found (a file missing from testsByFile): every listed test, so nothing is skipped.
const chosen = holding.length > 0 ? holding : Object.keys(testsByFile);
const tests = [...new Set(chosen.flatMap((file) => testsByFile[file] ?? []))];

const ava = spawnSync(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', ...avaOptions, ...tests], {
  stdio: 'inherit',
});
process.exit(ava.status ?? 1);
