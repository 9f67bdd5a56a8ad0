import test from 'ava';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scratchDir } from '../support/process.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every process descended from `root`, by walking the parent links `ps` reports. */
function descendants(root: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid,ppid'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const children = table.filter(([, parent]) => frontier.includes(parent)).map(([pid]) => pid);
    found.push(...children);
    frontier = children;
  }
  return found;
}

/** Running, that is: present and not a zombie waiting for init to collect its exit status. */
function alive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false;
  }
}

test('npm start answers on :8080 within 10 s, serves the UI and the API, and stops cleanly on SIGINT', async (t) => {
  const state = scratchDir('npm-start');
  const started = Date.now();
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, CF_LOCAL_STATE: state, PORT: '8080' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already stopped
    }
  });
  let answered = 0;
  while (Date.now() - started < 30_000) {
    try {
      const response = await fetch('http://127.0.0.1:8080/healthz');
      if (response.ok) {
        answered = Date.now() - started;
        break;
      }
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.true(answered > 0, `never answered:\n${output}`);
  t.log(`answered after ${answered} ms`);
  t.true(answered <= 10_000, `took ${answered} ms`);
  const page = await fetch('http://127.0.0.1:8080/connect/qr');
  t.regex(await page.text(), /<cf-app><\/cf-app>/);
  const register = await fetch('http://127.0.0.1:8080/api/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
    body: JSON.stringify({ email: 'npm-start@example.org', password: 'npm start works' }),
  });
  t.is(register.status, 201);
  t.regex(output, /api-gateway \+ web\s+http:\/\/localhost:8080/);
  t.regex(output, /DEMO MODE/);
  // npm → start.ts → PostgreSQL, Vault, the services and the reaper: everything that must stop again.
  const platform = descendants(child.pid!);
  t.true(platform.length >= 5, `expected the platform's processes, found ${platform.length}`);

  process.kill(-child.pid!, 'SIGINT');
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  // npm itself ends by the same Ctrl-C (SIGINT) the shell would send it; the platform must shut down cleanly.
  t.true(code === 0 || signal === 'SIGINT' || code === 130, `npm ended with ${code ?? signal}`);
  t.regex(output, /stopped; nothing left running/);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const left = platform
    .filter(alive)
    .map((pid) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim());
  t.deepEqual(left, [], 'no process left behind');
});
