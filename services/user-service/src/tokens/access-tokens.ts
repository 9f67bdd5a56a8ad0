import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import jwt from 'jsonwebtoken';
import { requireJwt, verifiedClaims, type VerifiedClaims } from '@cf/kit';
import type { SigningKeys } from './signing-keys.ts';

export type Role = 'user' | 'admin';

export type { VerifiedClaims as AccessClaims } from '@cf/kit';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export function signAccessToken(
  keys: SigningKeys,
  settings: AccessTokenSettings,
  subject: { userId: string; sessionId: string; role: Role },
): { token: string; expiresIn: number } {
  const key = keys.current();
  const token = jwt.sign({ sid: subject.sessionId, role: subject.role }, key.privateKey, {
    algorithm: 'ES256',
    keyid: key.kid,
    issuer: settings.issuer,
    audience: settings.audience,
    subject: subject.userId,
    expiresIn: settings.ttlSeconds,
    jwtid: randomUUID(),
  });
  return { token, expiresIn: settings.ttlSeconds };
}

/** Decides whether a verified token's session still stands (logout, disabled user). */
export type SessionCheck = (claims: VerifiedClaims) => Promise<boolean>;

/**
 * koa-jwt configured as FACTS.md asks: ES256 only, issuer and audience checked, a KeyObject chosen by
 * `kid`, tokens without `exp` refused, and revocation through the session the token names.
 */
/**
 * The kit's verifier over our own key set: ES256 only, issuer and audience checked, a KeyObject chosen by
 * `kid`, tokens without `exp` refused, and revocation through the session the token names.
 */
export function requireAccessToken(
  keys: SigningKeys,
  settings: AccessTokenSettings,
  sessionActive: SessionCheck,
): Middleware {
  return requireJwt({
    keys,
    issuer: settings.issuer,
    audience: settings.audience,
    isRevoked: async (claims) => !(await sessionActive(claims)),
  });
}

export function claimsOf(ctx: Context): VerifiedClaims {
  return verifiedClaims(ctx);
}
