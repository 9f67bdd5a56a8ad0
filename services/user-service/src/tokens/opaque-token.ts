import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a presented `<id>.<secret>` token does not work: unknown or wrong, past its expiry, or already used. */
export type TokenRefusal = 'invalid' | 'expired' | 'used';

/** What the service stores of a single-use token: the digest of its secret, its expiry and when it was used. */
export interface StoredToken {
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
}

/** `<uuid>.<43 base64url characters>`: a row id and a 256-bit secret. */
const TOKEN = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

/**
 * The row id and the secret of an opaque single-use token (`<uuid>.<secret>`, the secret 32 bytes in base64url), or
 * undefined for anything else — so a malformed token is refused before any query.
 */
export function splitToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(token);
  return match === null ? undefined : { id: match[1]!, secret: match[2]! };
}

/**
 * The form a token's secret is stored in: SHA-256, base64url (43 characters). A database reader learns nothing
 * usable, and a 256-bit random (or HMAC) secret needs no slow hash.
 */
export function tokenDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/**
 * Checks a presented secret against its stored row: `invalid` when the digests differ (compared in constant time),
 * then `used`, then `expired`; undefined when the token may be used. Using it up stays the caller's (a conditional
 * UPDATE, so two replicas cannot both use it).
 */
export function tokenRefusal(secret: string, row: StoredToken): TokenRefusal | undefined {
  const presented = Buffer.from(tokenDigest(secret));
  const stored = Buffer.from(row.token_hash);
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return 'invalid';
  if (row.used_at !== null) return 'used';
  if (row.expires_at.getTime() <= Date.now()) return 'expired';
  return undefined;
}
