import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { solvedCaptcha } from '../support/captcha.ts';
import { scratchDir } from '../support/process.ts';

/**
 * A solved captcha for a registration against npm start, which asks for one as production does (the web UI's
 * widget does this work in a browser).
 */
export function captchaFor(port: number): Promise<string> {
  return solvedCaptcha(`http://127.0.0.1:${port}/api/auth/captcha`, { origin: `http://localhost:${port}` });
}

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The lowest port the kernel hands out on its own (`net.ipv4.ip_local_port_range`, 32768 by default): outgoing
 * connections take their source ports from there (even ones first, since Linux 4.6), so a range chosen inside it can be
 * taken between the check and npm start's bind — which CI once saw as "Ports in use by another program: 33748".
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A base port with the `size - 1` after it free too (npm start uses base … base+5), chosen below the kernel's
 * ephemeral range so no outgoing connection or `listen(0)` can take one of them before npm start binds it.
 */
export async function freePortRange(size = 6): Promise<number> {
  const low = 10_000;
  const span = ephemeralLow() - size - low;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = low + Math.floor(Math.random() * span);
    const free = await Promise.all(
      Array.from(
        { length: size },
        (_, offset) =>
          new Promise<boolean>((resolve) => {
            const server = createServer();
            server.once('error', () => resolve(false));
            server.listen(base + offset, '127.0.0.1', () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free range of ports');
}

export interface NpmStart {
  child: ChildProcess;
  /** Everything npm start printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the output once the "ready" line appeared; rejects when npm ends first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<string>;
  /** Resolves with npm's exit code or signal. */
  exited: Promise<number | string>;
  /** Ctrl-C as a terminal sends it (to the whole group), then waits for the exit. */
  interrupt(): Promise<number | string>;
  /** SIGKILL to the group: for teardown. */
  kill(): void;
}

/** Runs `npm start` (the README's command) as a child in its own process group. */
export function runNpmStart(
  state: string,
  port: number,
  env: Record<string, string> = {},
  args: string[] = [],
): NpmStart {
  const child = spawn('npm', ['start', ...(args.length > 0 ? ['--', ...args] : [])], {
    cwd: root,
    env: { ...process.env, CF_LOCAL_STATE: state, PORT: String(port), ...env },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const kill = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return {
    child,
    output: () => output,
    exited,
    async ready(timeoutMs = 240_000) {
      const deadline = Date.now() + timeoutMs;
      let ended = false;
      void exited.then(() => (ended = true));
      // The summary's last line, not its first: "ready in" and the table below it reach the pipe as separate
      // writes, so a test that stopped at "ready in" could read the output before the table (seen in CI).
      while (!/ready in [\d.]+ s[\s\S]*Ctrl-C stops everything/.test(output)) {
        if (ended) throw new Error(`npm start ended before ready:\n${output}`);
        if (Date.now() > deadline) throw new Error(`npm start not ready after ${timeoutMs} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return output;
    },
    async interrupt() {
      try {
        process.kill(-child.pid!, 'SIGINT');
      } catch {
        // already gone
      }
      return exited;
    },
    kill,
  };
}

/**
 * `npm start` on a free port range, waited for until ready. Another test may still take a port of the range between
 * the check and npm start's bind; npm start then refuses with "Ports in use by another program" and this starts again
 * on a new range (at most three ranges), because that clash is the harness's, not what any caller tests.
 */
export async function readyOnFreeRange(
  state: string,
  env: Record<string, string>,
  /** Told of each start at once, so the caller's teardown can kill it (ava allows no `t.teardown` in hooks). */
  started: (run: NpmStart) => void,
  log: (message: string) => void = console.log,
): Promise<{ port: number; run: NpmStart; output: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePortRange();
    const run = runNpmStart(state, port, env);
    started(run);
    try {
      return { port, run, output: await run.ready() };
    } catch (error) {
      if (attempt >= 3 || !run.output().includes('Ports in use by another program')) throw error;
      log(`port range ${port} was taken before npm start bound it; trying another`);
    }
  }
}

/**
 * `npm start` on a fresh port range with a fresh state directory (`scratchDir(name)`), waited for until ready and
 * killed when the test ends; `output` is what it printed up to ready.
 */
export async function readyNpmStart(
  t: ExecutionContext,
  name: string,
  env: Record<string, string> = {},
): Promise<{ port: number; state: string; run: NpmStart; output: string }> {
  const state = scratchDir(name);
  return {
    state,
    ...(await readyOnFreeRange(
      state,
      env,
      (run) => t.teardown(run.kill),
      (message) => t.log(message),
    )),
  };
}

/** Every process descended from `pid`, by walking the parent links `ps` reports. */
export function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid,ppid'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const children = table.filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...children);
    frontier = children;
  }
  return found;
}

export interface ApiResult {
  status: number;
  body: Record<string, unknown>;
}

/** One call to the platform's public API through api-gateway, as the browser makes it. */
export async function api(
  port: number,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiResult> {
  const response = await fetch(`http://127.0.0.1:${port}/api${path}`, {
    method,
    headers: {
      origin: `http://localhost:${port}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The local PostgreSQL's superuser login (npm start keeps its password in the cluster's directory). */
export function superuser(state: string, port: number, database = 'postgres') {
  const password = readFileSync(join(state, 'postgres', 'pwfile'), 'utf8').trim();
  return { host: '127.0.0.1', port: port + 5, user: 'postgres', password, database };
}
