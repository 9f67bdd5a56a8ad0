import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { processAlive } from '@cf/embedded/pid';

/** Where `npm start` keeps everything: `$CF_LOCAL_STATE`, default `.local/` in the repository. */
export function stateDir(root: string): string {
  return resolve(process.env['CF_LOCAL_STATE'] ?? join(root, '.local'));
}

export function shown(root: string, path: string): string {
  const rel = relative(root, path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

interface LockContent {
  pid: number;
  url: string;
  startedAt: string;
}

function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  // A recycled pid belongs to something else: ours runs local/start.ts.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('local/start');
  } catch {
    return true;
  }
}

/** The `npm start` already running on this state directory, if any. */
export function runningInstance(state: string): LockContent | undefined {
  try {
    const lock = JSON.parse(readFileSync(join(state, 'npm-start.lock'), 'utf8')) as LockContent;
    return running(lock.pid) ? lock : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the state directory for this process (a lock file holding our pid): a second `npm start` learns that
 * one runs, and where, before it touches a port. A lock left by a dead process is taken over.
 */
export function lockState(state: string, url: string): { release(): void } | LockContent {
  mkdirSync(state, { recursive: true, mode: 0o755 });
  const path = join(state, 'npm-start.lock');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString() }));
      closeSync(fd);
      return {
        release() {
          try {
            unlinkSync(path);
          } catch {
            // already gone (a --reset from elsewhere)
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = runningInstance(state);
      if (holder !== undefined) return holder;
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take ${path}`);
}

/**
 * `npm start -- --reset`: deletes the state directory after the user typed `reset` (or passed `--yes`).
 * Returns false when the user declined.
 */
export async function confirmAndReset(root: string, state: string, assumeYes: boolean): Promise<boolean> {
  if (!existsSync(state)) return true;
  if (!assumeYes) {
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt
      .question(
        `This deletes ${shown(root, state)}/ — every local user, Vault's data and unseal keys, connected Telegram accounts, logs.\nType "reset" to confirm: `,
      )
      .catch(() => '');
    prompt.close();
    if (answer.trim() !== 'reset') return false;
  }
  rmSync(state, { recursive: true, force: true });
  return true;
}
