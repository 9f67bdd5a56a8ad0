import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { scratchDir } from '../support/process.ts';
import { root } from './fixture.ts';

/** PATH as a fresh machine of ours has it: without the Node 24 that the bootstrap puts first. */
function machinePath(): string {
  return (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('content-factory/node24') && !dir.includes('node_modules'))
    .join(delimiter);
}

test("npm test's bootstrap, in a copy of the repository without node_modules, installs and reaches the test runner under Node 24", async (t) => {
  t.timeout(20 * 60_000);
  const machineNode = execFileSync('node', ['--version'], { env: { PATH: machinePath() }, encoding: 'utf8' }).trim();
  t.log(`machine node: ${machineNode}`);
  const copy = scratchDir('bootstrap');
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter((name) => name !== '')) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    try {
      cpSync(join(root, file), join(copy, file));
    } catch {
      // deleted in the worktree but still in the index
    }
  }
  // Stop at the runner: the copy's suite command only proves where it runs and that ava is installed.
  const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  manifest.scripts['test:suite'] =
    `node -e "console.log('runner reached under node ' + process.version)" && ava --version`;
  writeFileSync(join(copy, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const child = spawn('npm', ['test'], {
    cwd: copy,
    // The npm cache of this machine holds every package: offline, nothing leaves the machine.
    env: { ...process.env, PATH: machinePath(), npm_config_offline: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 0, output);
  if (!machineNode.startsWith('v24.')) t.regex(output, /bootstrap: using Node v24\.\d+\.\d+/);
  t.regex(output, /bootstrap: installing dependencies \(npm ci/);
  t.regex(output, /runner reached under node v24\./);
  t.regex(output, /^7\.\d+\.\d+$/m, 'ava answered from the freshly installed node_modules');
});
