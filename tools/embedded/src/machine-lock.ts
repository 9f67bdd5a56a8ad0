import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './pid.ts';

/** The pid a lock directory names, if it names one. */
export function lockOwner(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while holding the lock directory `lock` (it holds the holder's pid): one holder at a time across every
 * process of the machine, and across calls of one process. A lock whose holder is gone (a test worker killed by its
 * timeout) is taken over at once; one without a pid, after a minute. Throws when the lock is not had within
 * `timeoutMs` (default 30 min).
 */
export async function whileLocked<T>(lock: string, work: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const owner = lockOwner(lock);
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      const abandoned = owner !== undefined ? !processAlive(owner) : Date.now() - since > 60_000;
      if (abandoned) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new Error(`${lock} is held by ${owner ?? 'a process'} past ${timeoutMs} ms`);
      else await sleep(100);
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
