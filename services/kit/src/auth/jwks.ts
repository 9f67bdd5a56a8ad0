import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import { HttpProblem } from '../http/problem.ts';

export interface JwksOptions {
  /** e.g. `http://user-service:8080/.well-known/jwks.json`. */
  url: string;
  /** Default: 3000 ms. */
  timeoutMs?: number;
  /** An unknown `kid` refetches the set, at most this often. Default: 10 s — a forged kid cannot make us hammer the issuer. */
  minRefreshMs?: number;
  /** Refetch even without unknown kids, to drop retired keys. Default: 5 min. */
  maxAgeMs?: number;
}

/** The issuer's public keys by `kid`, fetched from its JWKS, cached, and refreshed when an unknown `kid` shows up. */
export class JwksKeys implements KeyResolver {
  private readonly options: JwksOptions;
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private inFlight: Promise<void> | undefined;

  constructor(options: JwksOptions) {
    this.options = options;
  }

  private async refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const response = await fetch(this.options.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000) });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        const body = (await response.json()) as { keys?: (JsonWebKey & { kid?: string })[] };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (typeof jwk.kid === 'string' && jwk.kty === 'EC')
            next.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
        }
        this.keys = next;
      } finally {
        // A failed fetch also counts, so an unreachable issuer is not hammered either.
        this.fetchedAt = Date.now();
      }
    })().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The key for `kid`, refreshing the set when it is unknown (rate-limited) or old. */
  async key(kid: string): Promise<KeyObject | undefined> {
    const age = Date.now() - this.fetchedAt;
    if (age > (this.options.maxAgeMs ?? 300_000)) await this.refresh().catch(() => undefined);
    const known = this.keys.get(kid);
    if (known !== undefined) return known;
    if (age >= (this.options.minRefreshMs ?? 10_000)) {
      await this.refresh().catch(() => undefined);
      return this.keys.get(kid);
    }
    return undefined;
  }
}

export interface VerifiedClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  role: 'user' | 'admin';
  iat: number;
  exp: number;
  jti: string;
}

/** Finds the verification key for a token's `kid`: an issuer's JWKS, or the issuer's own key set. */
export interface KeyResolver {
  key(kid: string): Promise<KeyObject | undefined>;
}

export interface RequireJwtOptions {
  keys: KeyResolver;
  issuer: string;
  audience: string;
  /** Extra revocation check after the signature and claims verified. */
  isRevoked?: (claims: VerifiedClaims, ctx: Context) => Promise<boolean>;
}

/**
 * Verifies a Bearer access token: ES256 only, issuer and audience pinned, `exp`, `sub` and `sid` required,
 * the key chosen by `kid` from the issuer's JWKS. Puts the claims on `ctx.state.claims`; anything wrong
 * is a 401 problem that says no more than that.
 */
export function requireJwt(options: RequireJwtOptions): Middleware {
  const verify = koaJwt({
    secret: async (header: { kid?: string }) => {
      const key = header.kid !== undefined ? await options.keys.key(header.kid) : undefined;
      if (key === undefined) throw new Error('unknown key id');
      return key;
    },
    algorithms: ['ES256'],
    issuer: options.issuer,
    audience: options.audience,
    key: 'claims',
    isRevoked: async (ctx: Context, payload: object) => {
      const claims = payload as Partial<VerifiedClaims>;
      if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string')
        return true;
      return options.isRevoked !== undefined ? options.isRevoked(claims as VerifiedClaims, ctx) : false;
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

/** The verified claims of the current request; 401 when the route forgot `requireJwt`. */
export function verifiedClaims(ctx: Context): VerifiedClaims {
  const claims = ctx.state['claims'] as VerifiedClaims | undefined;
  if (claims === undefined) throw HttpProblem.unauthorized();
  return claims;
}
