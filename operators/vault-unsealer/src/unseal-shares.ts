/**
 * Which shares of a key set are worth submitting. A share Vault produced is hex or base64 of the same bytes
 * (`sys/init` returns both forms); anything that decodes as neither cannot be a share, and two entries with the
 * same bytes are one share (Vault ignores a repeated share, so it would never reach the threshold).
 */

export interface ShareCandidates {
  /** Distinct, well-formed shares in the order the key set lists them. */
  shares: string[];
  /** Entries dropped as not hex/base64. */
  malformed: number;
  /** Entries dropped as repeats of an earlier share. */
  duplicates: number;
}

function decode(share: string): Buffer | undefined {
  const text = share.trim();
  if (/^(?:[0-9a-fA-F]{2})+$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return Buffer.from(text, 'base64');
  return undefined;
}

export function shareCandidates(keys: readonly string[]): ShareCandidates {
  const seen = new Set<string>();
  const shares: string[] = [];
  let malformed = 0;
  let duplicates = 0;
  for (const key of keys) {
    const bytes = decode(key);
    // A Shamir share is the secret's bytes plus a one-byte x coordinate: at least 2 bytes.
    if (bytes === undefined || bytes.length < 2) {
      malformed += 1;
      continue;
    }
    const id = bytes.toString('hex');
    if (seen.has(id)) {
      duplicates += 1;
      continue;
    }
    seen.add(id);
    shares.push(key.trim());
  }
  return { shares, malformed, duplicates };
}

/**
 * The t-element index sets of 0..n-1 in colexicographic order ({0,1,2}, {0,1,3}, {0,2,3}, {1,2,3}, {0,1,4}, ...):
 * every set uses the earliest shares possible, so one bad share among the first t costs at most t more rounds
 * before a set without it is tried. Stops after `limit` sets.
 */
export function* combinations(n: number, t: number, limit: number): Generator<number[]> {
  if (t <= 0 || t > n) return;
  const set = Array.from({ length: t }, (_, index) => index);
  for (let produced = 0; produced < limit; produced += 1) {
    yield [...set];
    // Colex successor: bump the lowest element that can move up, reset the ones below it.
    let index = 0;
    while (index < t - 1 && set[index]! + 1 === set[index + 1]) index += 1;
    if (index === t - 1 && set[index]! + 1 >= n) return;
    set[index]! += 1;
    for (let lower = 0; lower < index; lower += 1) set[lower] = lower;
  }
}

/** Number of t-subsets of n, capped (only compared against small limits). */
export function countCombinations(n: number, t: number): number {
  if (t < 0 || t > n) return 0;
  let count = 1;
  for (let index = 1; index <= t; index += 1) count = (count * (n - t + index)) / index;
  return Math.round(count);
}
