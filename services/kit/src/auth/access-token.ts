import type { Context, Middleware } from 'koa';
import jwt from 'jsonwebtoken';
import { HttpProblem } from '../http/problem.ts';
import type { KeyResolver } from './jwks.ts';

/** The JWT `typ` of access tokens (RFC 9068 §2.1); verifiers refuse any other, so an ID or other token cannot pass. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** The name of the HttpOnly cookie that carries the refresh token (user-service sets it, the gateway guards it). */
export const REFRESH_COOKIE = 'cf_refresh';

export type Role = 'user' | 'admin';

export interface VerifiedClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  role: Role;
  /**
   * Whether the account's address was verified when the token was minted (issue 18). Absent in tokens minted before
   * the claim existed; read it with `emailVerified`, which treats absent as unverified.
   */
  email_verified?: boolean;
  iat: number;
  exp: number;
  jti: string;
}

export interface AccessTokenCheck {
  keys: KeyResolver;
  issuer: string;
  audience: string;
}

/**
 * The token of an `Authorization: Bearer …` header, or undefined; from a koa context or the header's value
 * (handlers beside koa, e.g. api-gateway's proxy lane).
 */
export function bearerToken(source: Context | string | undefined): string | undefined {
  const header = typeof source === 'object' ? source.get('authorization') : (source ?? '');
  if (!/^bearer /i.test(header)) return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

/**
 * Verifies an access token as FACTS.md asks: ES256 only, `typ: at+jwt` (RFC 9068), issuer and audience pinned, the key chosen by
 * `kid` from `keys`, `exp`, `sub`, `sid` and a known `role` required. Says nothing about revocation.
 * Returns undefined for any token that fails, never why (the caller answers a bare 401).
 */
export async function verifyAccessToken(token: string, check: AccessTokenCheck): Promise<VerifiedClaims | undefined> {
  try {
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    if (kid === undefined || decoded?.header.typ !== ACCESS_TOKEN_TYPE) return undefined;
    const key = await check.keys.key(kid);
    if (key === undefined) return undefined;
    const claims = jwt.verify(token, key, {
      algorithms: ['ES256'],
      issuer: check.issuer,
      audience: check.audience,
    }) as Partial<VerifiedClaims>;
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      (claims.role !== 'user' && claims.role !== 'admin') ||
      (claims.email_verified !== undefined && typeof claims.email_verified !== 'boolean')
    ) {
      return undefined;
    }
    return claims as VerifiedClaims;
  } catch {
    return undefined;
  }
}

export interface RequireJwtOptions extends AccessTokenCheck {
  /** Whether the verified token's session has ended (logout, disabled user). Default: never. */
  isRevoked?: (claims: VerifiedClaims, ctx: Context) => boolean | Promise<boolean>;
}

/**
 * Middleware: a verified Bearer access token of a live session, or a 401 problem that says no more than
 * that. Puts the claims on `ctx.state.claims` (read them with `verifiedClaims`).
 */
export function requireJwt(options: RequireJwtOptions): Middleware {
  return async function authenticate(ctx, next) {
    const token = bearerToken(ctx);
    const claims = token === undefined ? undefined : await verifyAccessToken(token, options);
    if (claims === undefined || (options.isRevoked !== undefined && (await options.isRevoked(claims, ctx)))) {
      throw HttpProblem.unauthorized('a valid access token is required');
    }
    ctx.state['claims'] = claims;
    await next();
  };
}

/** Middleware after `requireJwt`: 403 unless the verified role is `role`. */
export function requireRole(role: Role): Middleware {
  return async function checkRole(ctx, next) {
    if (verifiedClaims(ctx).role !== role) throw HttpProblem.forbidden('administrators only');
    await next();
  };
}

/** The verified claims of the current request; 401 when the route forgot `requireJwt`. */
export function verifiedClaims(ctx: Context): VerifiedClaims {
  const claims = ctx.state['claims'] as VerifiedClaims | undefined;
  if (claims === undefined) throw HttpProblem.unauthorized();
  return claims;
}

/**
 * Whether the caller's address was verified when their access token was minted (the `email_verified` claim; absent
 * counts as unverified). After following the link, the next refresh carries `true`.
 */
export function emailVerified(ctx: Context): boolean {
  return verifiedClaims(ctx).email_verified === true;
}
