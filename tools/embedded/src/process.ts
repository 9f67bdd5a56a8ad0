import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  statfsSync,
  type WriteStream,
} from 'node:fs';
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

/**
 * How long a harness directory is kept for post-mortem reading: `CF_TEST_KEEP_HOURS` (default 3, longer than any
 * run of the whole suite). Without a limit the kept directories grew to 35 GB in one working day and filled the disk.
 */
const keepHours = Number(process.env['CF_TEST_KEEP_HOURS'] ?? 3);
/**
 * Free space (GiB) under the scratch root below which kept directories go early, oldest first:
 * `CF_TEST_MIN_FREE_GB` (default 10). A suite run on a nearly full disk failed with ENOSPC inside PostgreSQL and
 * Vault writes; kept logs are worth less than a run that can write.
 */
export const minFreeGiB = Number(process.env['CF_TEST_MIN_FREE_GB'] ?? 10);
/** A directory younger than this may belong to a harness still running (no single harness lives longer). */
const inUseMs = 45 * 60_000;
let pruned = false;

/** Free bytes on the filesystem holding `path`. */
export function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

/**
 * Removes harness directories older than `keepHours`, and then, while the disk has less than `minFreeGiB` free,
 * the oldest ones no running harness can own (once per process; another process may be removing too).
 */
function pruneOldScratchDirs(root: string): void {
  if (pruned) return;
  pruned = true;
  const now = Date.now();
  const entries: { path: string; mtimeMs: number }[] = [];
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    try {
      entries.push({ path, mtimeMs: statSync(path).mtimeMs });
    } catch {
      // Removed meanwhile by another test process.
    }
  }
  const remove = (path: string): void => {
    try {
      rmSync(path, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // Still in use, or removed meanwhile: the next run tries again.
    }
  };
  const kept = [];
  for (const entry of entries.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
    if (keepHours > 0 && entry.mtimeMs < now - keepHours * 3_600_000) remove(entry.path);
    else kept.push(entry);
  }
  for (const entry of kept) {
    if (entry.mtimeMs > now - inUseMs || freeBytes(root) >= minFreeGiB * 2 ** 30) break;
    remove(entry.path);
  }
}

/**
 * Prunes the scratch root as a harness start would and says what to do when the disk still has less than
 * `minFreeGiB` free (undefined when there is room). `npm test` asks before the suites start, so a full disk is one
 * clear message instead of ENOSPC in whichever server wrote next.
 */
export function scratchSpaceProblem(): string | undefined {
  const root = scratchRoot();
  pruneOldScratchDirs(root);
  const free = freeBytes(root) / 2 ** 30;
  if (free >= minFreeGiB) return undefined;
  return (
    `only ${free.toFixed(1)} GiB free under ${root} (the suites want ${minFreeGiB}, CF_TEST_MIN_FREE_GB): ` +
    `remove old harness directories there, unused images (podman image prune), or Go's build cache (go clean -cache)`
  );
}

function scratchRoot(): string {
  const root = join(tmpdir(), 'cf-test');
  mkdirSync(root, { recursive: true, mode: 0o755 });
  return root;
}

/** Directory for one harness's files; kept after the run for post-mortem reading of logs (see `keepHours`). */
export function scratchDir(prefix: string): string {
  const root = scratchRoot();
  pruneOldScratchDirs(root);
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

/** How long an exited process's pipes may stay open before `exited` resolves without them (a grandchild holds them). */
const PIPE_DRAIN_MS = 2000;

/**
 * Resolves once the child's stdout and stderr have closed and the log has written what came through them, or
 * after PIPE_DRAIN_MS (and as long again for the disk) when a grandchild outside the group keeps the pipes open:
 * then the log stays open for what it still writes.
 */
async function logWritten(closed: Promise<boolean>, log: WriteStream): Promise<void> {
  const bounded = <T>(promise: Promise<T>): Promise<T | false> =>
    Promise.race([promise, new Promise<false>((resolve) => setTimeout(() => resolve(false), PIPE_DRAIN_MS).unref())]);
  if (!(await bounded(closed))) return;
  log.end();
  await bounded(once(log, 'finish').catch(() => undefined));
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
  const closed = once(child, 'close').then(
    () => true,
    () => true,
  );
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      reaperStdin()?.write(`-${pid}\n`);
      const result = code ?? signal ?? 'unknown';
      // 'exit' can come before the child's last output has passed through the pipes into the log; whoever reads the
      // log once `exited` resolves (a test of a startup error) must find all of it.
      void logWritten(closed, log).then(() => resolve(result));
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

/** A started component: every harness's handle has `stop()`. */
interface Stoppable {
  stop(): unknown;
}

/**
 * Starts components side by side like `Promise.all`, but when one fails it stops every one that did start before
 * rethrowing the first failure. With a bare `Promise.all` the started component is never assigned, so no
 * `after.always` hook can stop it, and its live child process keeps the test worker from exiting (a 14-minute hang).
 * Shape: a tuple of start promises in, the tuple of started components out.
 */
export async function startTogether<const T extends readonly Promise<unknown>[]>(
  starting: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starting);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    const started = settled.flatMap((result) =>
      result.status === 'fulfilled' && isStoppable(result.value) ? [result.value] : [],
    );
    await Promise.allSettled(started.map(async (component) => component.stop()));
    throw failure.reason;
  }
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

function isStoppable(value: unknown): value is Stoppable {
  return typeof value === 'object' && value !== null && typeof (value as Stoppable).stop === 'function';
}

/**
 * Runs the rest of a set-up once `started` are up; when that rest fails, stops them (last started first) and
 * rethrows, for the same reason as `startTogether`: a fixture that throws half-way returns nothing to stop.
 */
export async function stopIfFails<T>(started: readonly Stoppable[], rest: () => Promise<T>): Promise<T> {
  try {
    return await rest();
  } catch (error) {
    for (const component of [...started].reverse()) await Promise.resolve(component.stop()).catch(() => undefined);
    throw error;
  }
}
