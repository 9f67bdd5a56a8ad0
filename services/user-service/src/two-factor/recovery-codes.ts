import { createHash, randomInt } from 'node:crypto';

/** How many codes a user holds at a time (GitHub, Google and Kratos all give 10 or 12). */
export const RECOVERY_CODE_COUNT = 10;

/** Crockford's base32 without the look-alikes: codes survive being read aloud or written down. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `xxxxx-xxxxx`: 10 random base32 characters, 50 bits each. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]!).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Case, spaces and dashes do not matter; `o`/`i`/`l` read as `0`/`1`/`1`. Undefined when it cannot be a code. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const chars = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (!/^[0-9a-hjkmnp-tv-z]{10}$/.test(chars)) return undefined;
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/**
 * What is stored of a code: SHA-256 over the user id and the code. A random 50-bit code needs no slow hash (no
 * dictionary to try), and the user id keeps equal codes of two users apart. Only 10 codes per user exist, each
 * single use and every try rate limited, so guessing is out of reach.
 */
export function recoveryCodeDigest(userId: string, code: string): string {
  return createHash('sha256').update(`${userId}:${code}`).digest('hex');
}
