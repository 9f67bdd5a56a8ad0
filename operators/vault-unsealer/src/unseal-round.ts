import {
  initialize,
  resetUnseal,
  sealStatus,
  unseal,
  VaultHttpError,
  type SealStatus,
  type VaultHttpOptions,
} from './vault-http.ts';

import { combinations, countCombinations, shareCandidates } from './unseal-shares.ts';

/**
 * At most this many share sets are tried per key set: C(6,3) = 20 covers a five-share set with one foreign
 * share added, and a key set that needs more is reported rather than searched further.
 */
export const MAX_SHARE_SETS = 32;

/** How unsealing with one key set ended. */
export type RoundResult =
  /** The barrier is open. */
  | { outcome: 'unsealed'; status: SealStatus }
  /** A threshold of shares went in and Vault still says sealed: a raft follower catching up with its leader. */
  | { outcome: 'submitted'; status: SealStatus }
  /** No threshold of distinct working shares could be formed; `reason` says why (no share or key in it). */
  | { outcome: 'insufficient'; status: SealStatus; reason: string; unsealCalls: number };

/** Vault refused what it was given: 400 on OpenBao, 500 on Vault (a failed combination or an undecodable share). */
const refused = (error: unknown): boolean =>
  error instanceof VaultHttpError && (error.status === 400 || error.status === 500);

/**
 * Unseals `address` with a key set whose entries may be wrong: drops malformed and repeated entries, then
 * submits threshold-sized sets of the rest in colex order ({0,1,2}, {0,1,3}, ...) until one opens the barrier.
 * A share Vault refuses on its own (before the threshold) is dropped; a set Vault refuses as a whole is
 * followed by the next one. Bounded: at most `MAX_SHARE_SETS` sets, and nothing is sent when fewer distinct
 * shares than the threshold remain. Progress someone else left is discarded first (their shares must not mix
 * with ours). Throws `VaultHttpError` when Vault is unreachable or fails otherwise.
 */
export async function unsealRound(
  address: string,
  keys: readonly string[],
  threshold: number,
  status?: SealStatus,
  options: VaultHttpOptions = {},
): Promise<RoundResult> {
  let current = status ?? (await sealStatus(address, options));
  if (!current.sealed) return { outcome: 'unsealed', status: current };
  const t = current.t > 0 ? current.t : threshold;
  const candidates = shareCandidates(keys);
  let shares = candidates.shares;
  const dropped = (): string =>
    [
      candidates.malformed > 0 ? `${candidates.malformed} malformed` : '',
      candidates.duplicates > 0 ? `${candidates.duplicates} repeated` : '',
    ]
      .filter(Boolean)
      .join(', ');
  let unsealCalls = 0;
  let refusedSets = 0;
  const insufficient = (why: string): RoundResult => ({
    outcome: 'insufficient',
    status: current,
    unsealCalls,
    reason: `${why} (key set of ${keys.length} entries${dropped() === '' ? '' : `; ${dropped()} skipped`}, threshold ${t})`,
  });
  let sets = 0;
  restart: while (true) {
    if (shares.length < t) return insufficient(`only ${shares.length} distinct well-formed shares`);
    for (const set of combinations(shares.length, t, MAX_SHARE_SETS - sets)) {
      sets += 1;
      if (current.progress > 0) current = await resetUnseal(address, options);
      for (const [position, index] of set.entries()) {
        unsealCalls += 1;
        try {
          current = await unseal(address, shares[index]!, options);
        } catch (error) {
          if (!refused(error)) throw error;
          if (position < t - 1) {
            // Refused before the threshold: this share alone is unusable. Drop it and search again without it.
            shares = shares.filter((_, other) => other !== index);
            candidates.malformed += 1;
            current = await sealStatus(address, options);
            continue restart;
          }
          refusedSets += 1; // the whole set does not combine; Vault discarded its progress
          current = { ...current, progress: 0 };
          break;
        }
        if (!current.sealed) return { outcome: 'unsealed', status: current };
        if (position === t - 1) return { outcome: 'submitted', status: current };
      }
    }
    const total = countCombinations(shares.length, t);
    return insufficient(
      sets >= MAX_SHARE_SETS && refusedSets < total
        ? `Vault refused the ${refusedSets} share sets tried (limit ${MAX_SHARE_SETS} of ${total})`
        : `Vault refused all ${refusedSets} sets of ${t} of the ${shares.length} distinct shares`,
    );
  }
}

export interface InitializeAndUnsealOptions extends VaultHttpOptions {
  /** Used only when Vault is not initialized yet. */
  shares: number;
  threshold: number;
  /**
   * The key set this Vault was initialized with, or undefined when there is none (then, and only then, an
   * uninitialized Vault is initialized).
   */
  keys: () => Promise<readonly string[] | undefined>;
  /**
   * Stores what `sys/init` returned before anything else happens; it must not return before the keys are safe.
   */
  store: (init: { keys: string[]; rootToken: string; threshold: number }) => Promise<void>;
}

/**
 * "Initialize if needed, then unseal with the given keys" for one Vault node, for key custody implementations
 * other than the operator's (a local Vault keeping its keys in a file, a restore drill). Refuses to initialize
 * when keys exist (they would open nothing). Returns Vault's final seal status.
 */
export async function initializeAndUnseal(address: string, options: InitializeAndUnsealOptions): Promise<SealStatus> {
  let status = await sealStatus(address, options);
  let keys = await options.keys();
  if (!status.initialized) {
    if (keys !== undefined) throw new Error(`Vault at ${address} is not initialized but unseal keys exist`);
    const init = await initialize(address, options.shares, options.threshold, options);
    await options.store({ ...init, threshold: options.threshold });
    keys = init.keys;
    status = await sealStatus(address, options);
  }
  if (!status.sealed) return status;
  if (keys === undefined) throw new Error(`Vault at ${address} is sealed and no unseal keys exist`);
  const round = await unsealRound(address, keys, options.threshold, status, options);
  if (round.outcome === 'insufficient') throw new Error(`cannot unseal Vault at ${address}: ${round.reason}`);
  return round.status;
}
