import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import jwt from 'jsonwebtoken';
import { HttpProblem } from '@cf/kit';
import type { SigningKeys } from './signing-keys.ts';

export type Role = 'user' | 'admin';

export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  role: Role;
  iat: number;
  exp: number;
  jti: string;
}

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
export type SessionCheck = (claims: AccessClaims) => Promise<boolean>;

/**
 * koa-jwt configured as FACTS.md asks: ES256 only, issuer and audience checked, a KeyObject chosen by
 * `kid`, tokens without `exp` refused, and revocation through the session the token names.
 */
export function requireAccessToken(
  keys: SigningKeys,
  settings: AccessTokenSettings,
  sessionActive: SessionCheck,
): Middleware {
  const verify = koaJwt({
    secret: async (header: { kid?: string; alg?: string }) => {
      const key = header.kid !== undefined ? keys.verificationKey(header.kid) : undefined;
      if (key === undefined) throw new Error('unknown key id');
      return key;
    },
    algorithms: ['ES256'],
    issuer: settings.issuer,
    audience: settings.audience,
    key: 'claims',
    isRevoked: async (_ctx: Context, payload: object) => {
      const claims = payload as Partial<AccessClaims>;
      if (typeof claims.exp !== 'number' || typeof claims.sid !== 'string' || typeof claims.sub !== 'string')
        return true;
      return !(await sessionActive(claims as AccessClaims));
    },
    // The typings predate KeyObject secrets, which jsonwebtoken 9 takes (and prefers) at run time.
  } as unknown as koaJwt.Options);
  return async function authenticate(ctx, next) {
    try {
      await verify(ctx, async () => {});
    } catch {
      throw HttpProblem.unauthorized('a valid access token is required');
    }
    await next();
  };
}

export function claimsOf(ctx: Context): AccessClaims {
  const claims = ctx.state['claims'] as AccessClaims | undefined;
  if (claims === undefined) throw HttpProblem.unauthorized();
  return claims;
}
