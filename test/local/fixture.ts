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

/** A base port with the five after it free too (npm start uses base … base+5). */
export async function freePortRange(size = 6): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
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
 * `npm start` on a fresh port range with a fresh state directory (`scratchDir(name)`), waited for until ready and
 * killed when the test ends; `output` is what it printed up to ready.
 */
export async function readyNpmStart(
  t: ExecutionContext,
  name: string,
  env: Record<string, string> = {},
): Promise<{ port: number; state: string; run: NpmStart; output: string }> {
  const port = await freePortRange();
  const state = scratchDir(name);
  const run = runNpmStart(state, port, env);
  t.teardown(run.kill);
  return { port, state, run, output: await run.ready() };
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
