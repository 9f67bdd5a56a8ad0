import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every harness's processes, by process group id, so nothing outlives the test process. */
const live = new Map<number, ManagedProcess>();
let reaper: ChildProcess | undefined;

function reaperStdin(): NodeJS.WritableStream | undefined {
  if (reaper === undefined) {
    reaper = spawn(process.execPath, [fileURLToPath(new URL('./reaper.ts', import.meta.url))], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    reaper.unref();
    (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  }
  return reaper.stdin ?? undefined;
}

function killAllNow(): void {
  for (const pgid of live.keys()) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

process.once('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllNow();
    process.exit(1);
  });
}

/** Directory for one harness's files; kept after the run for post-mortem reading of logs. */
export function scratchDir(prefix: string): string {
  const root = join(tmpdir(), 'cf-test');
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(root, `${prefix}-`));
  // Traversable, so servers that run as an unprivileged account (PostgreSQL, when we are root) reach subdirectories.
  chmodSync(dir, 0o755);
  return dir;
}

export interface SpawnOptions {
  /** Short name for messages. */
  name: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** stdout and stderr go here. */
  logFile: string;
  uid?: number;
  gid?: number;
  /** Keep a pipe to the child's stdin (`child.stdin`), e.g. to hand it settings known only later. Default: none. */
  stdinPipe?: boolean;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal) once the process ended. */
  exited: Promise<number | string>;
  /** `signal` (default SIGTERM) to the whole group, SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
  /** SIGKILL to the whole group, as a crash would. */
  kill(): Promise<void>;
}

/** Starts a server process in its own process group, logged to a file, reaped whatever happens. */
export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions): ManagedProcess {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(command, args, {
    detached: true,
    stdio: [options.stdinPipe === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${command}`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      reaperStdin()?.write(`-${pid}\n`);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', () => resolve('spawn-error'));
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // group already gone
    }
  };
  const managed: ManagedProcess = {
    name: options.name,
    child,
    pid,
    logFile: options.logFile,
    exited,
    async stop(graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM') {
      signalGroup(signal);
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // Children of the leader may outlive it; the group goes too.
      signalGroup('SIGKILL');
    },
    async kill() {
      signalGroup('SIGKILL');
      await exited;
    },
  };
  live.set(pid, managed);
  reaperStdin()?.write(`+${pid}\n`);
  return managed;
}

/** Registers a process started by a library (e.g. a browser) so it is reaped like our own. */
export function adoptProcessGroup(pid: number): void {
  reaperStdin()?.write(`+${pid}\n`);
}

/** Registers a podman container the reaper removes if the test process dies before `releaseContainer`. */
export function adoptContainer(name: string, containersConf: string): void {
  reaperStdin()?.write(`C${JSON.stringify({ name, containersConf })}\n`);
}

export function releaseContainer(name: string): void {
  reaperStdin()?.write(`c${JSON.stringify({ name })}\n`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

export interface WaitOptions {
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** When this process exits first, fail at once with its log's tail. */
  process?: ManagedProcess;
}

/** Polls `check` until it returns a value other than undefined/false, or fails with a clear message. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let exitedWith: number | string | undefined;
  void options.process?.exited.then((code) => {
    exitedWith = code;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) {
      throw new Error(
        `${options.what}: ${options.process?.name} exited (${exitedWith}); see ${options.process?.logFile}`,
      );
    }
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
  const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
  const log = options.process ? `; see ${options.process.logFile}` : '';
  throw new Error(`timed out waiting for ${options.what}${reason}${log}`);
}
