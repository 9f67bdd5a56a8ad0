import { hash } from 'node:crypto';
import type { Middleware } from 'koa';
import { LRUCache } from 'lru-cache';
import { Histogram, type Registry } from 'prom-client';
import {
  bearerToken,
  HttpProblem,
  SessionRevocations,
  verifyAccessToken,
  type KeyResolver,
  type Logger,
  type VerifiedClaims,
} from '@cf/kit';

export interface EdgeAuthOptions {
  keys: KeyResolver;
  issuer: string;
  audience: string;
  /** user-service's session-revocation feed. */
  revocationsUrl: string;
  logger: Logger;
  registry: Registry;
  /** Most verified tokens remembered at once (least recently used go first). Default: 10 000. */
  cachedTokens?: number;
  /**
   * Longest a verification is reused, in milliseconds, whatever the token's `exp`: a key retired from the JWKS
   * stops being honoured within this time, as JwksKeys refetches the set at least this often. Default: 300 000.
   */
  cachedForMs?: number;
}

export interface EdgeAuth {
  /** 401 unless a verified access token of a session that has not ended; 503 while revocations are unknown. */
  authenticate: Middleware;
  /**
   * The same check on an `Authorization` header's value, for handlers beside koa: the claims (synchronously when
   * the token was verified before), or throws/rejects with the 401 or 503 problem.
   */
  claimsFor(authorization: string | undefined): VerifiedClaims | Promise<VerifiedClaims>;
  revocations: SessionRevocations;
}

/**
 * Access tokens are verified once, here, from the public JWKS; whether their session ended comes from the
 * revocation feed this replica follows — every logout, password change, disabled user and refresh-token
 * reuse, whichever replica or path it went through — so no request waits on user-service to ask.
 *
 * A token's signature is checked once (ES256 costs more than the rest of the edge together): its claims are
 * kept in a bounded LRU keyed by the SHA-256 of the token — the cache never holds a token — until the earlier
 * of its `exp` and `cachedForMs`. Expiry and revocation are still checked on every request.
 */
export function createEdgeAuth(options: EdgeAuthOptions): EdgeAuth {
  const lag = new Histogram({
    name: 'gateway_revocation_lag_seconds',
    help: 'Time from a session revocation committing in user-service to this gateway replica refusing its tokens',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [options.registry],
  });
  const revocations = new SessionRevocations({
    url: options.revocationsUrl,
    logger: options.logger,
    onRevocation: (seconds) => lag.observe(seconds),
  });
  // ttlResolution 0: read the clock on each lookup. The default (1 ms) caches it behind a setTimeout armed again on
  // nearly every request at the gateway's rates — the largest timer cost per request in bench/gateway.ts profiles.
  const verified = new LRUCache<string, VerifiedClaims>({ max: options.cachedTokens ?? 10_000, ttlResolution: 0 });
  const cachedForMs = options.cachedForMs ?? 300_000;

  /** The token's verified claims, from the cache when it was verified before; undefined for a bad token. */
  function claimsOf(token: string): VerifiedClaims | undefined | Promise<VerifiedClaims | undefined> {
    // One-shot hash: no Hash object per request.
    const id = hash('sha256', token, 'base64url');
    const known = verified.get(id);
    if (known !== undefined) return known;
    return verifyAccessToken(token, options).then((claims) => {
      if (claims !== undefined) {
        verified.set(id, claims, { ttl: Math.max(1, Math.min(cachedForMs, claims.exp * 1000 - Date.now())) });
      }
      return claims;
    });
  }

  function alive(claims: VerifiedClaims | undefined): VerifiedClaims {
    if (claims === undefined || claims.exp * 1000 <= Date.now() || revocations.isRevoked(claims.sid)) {
      throw HttpProblem.unauthorized('a valid access token is required');
    }
    return claims;
  }

  function claimsFor(authorization: string | undefined): VerifiedClaims | Promise<VerifiedClaims> {
    const token = bearerToken(authorization);
    const claims = token === undefined ? undefined : claimsOf(token);
    return claims instanceof Promise ? claims.then(alive) : alive(claims);
  }

  const authenticate: Middleware = async function authenticate(ctx, next) {
    ctx.state['claims'] = await claimsFor(ctx.get('authorization'));
    await next();
  };
  return { authenticate, claimsFor, revocations };
}
