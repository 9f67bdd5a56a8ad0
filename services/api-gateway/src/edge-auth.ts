import type { Middleware } from 'koa';
import { Histogram, type Registry } from 'prom-client';
import { requireJwt, SessionRevocations, type KeyResolver, type Logger } from '@cf/kit';

export interface EdgeAuthOptions {
  keys: KeyResolver;
  issuer: string;
  audience: string;
  /** user-service's session-revocation feed. */
  revocationsUrl: string;
  logger: Logger;
  registry: Registry;
}

export interface EdgeAuth {
  /** 401 unless a verified access token of a session that has not ended; 503 while revocations are unknown. */
  authenticate: Middleware;
  revocations: SessionRevocations;
}

/**
 * Access tokens are verified once, here, from the public JWKS; whether their session ended comes from the
 * revocation feed this replica follows — every logout, password change, disabled user and refresh-token
 * reuse, whichever replica or path it went through — so no request waits on user-service to ask.
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
  const authenticate = requireJwt({
    keys: options.keys,
    issuer: options.issuer,
    audience: options.audience,
    isRevoked: (claims) => revocations.isRevoked(claims.sid),
  });
  return { authenticate, revocations };
}
