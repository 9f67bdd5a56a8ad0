import type { Context, Middleware } from 'koa';
import { JwksKeys, requireJwt, type VerifiedClaims } from '@cf/kit';
import type { Upstream } from './upstream.ts';

export interface EdgeAuthOptions {
  keys: JwksKeys;
  issuer: string;
  audience: string;
  userService: Upstream;
  /** How long a session user-service confirmed live is trusted without asking again. */
  cacheMs: number;
}

/**
 * Verifies access tokens at the edge: signature, algorithm, issuer, audience and expiry locally (JWKS),
 * then whether the session still stands by asking user-service — cached briefly per session, and
 * forgotten at once when a logout passes through this gateway.
 */
export class EdgeAuth {
  private readonly live = new Map<string, number>();
  private readonly options: EdgeAuthOptions;
  readonly middleware: Middleware;

  constructor(options: EdgeAuthOptions) {
    this.options = options;
    this.middleware = requireJwt({
      keys: options.keys,
      issuer: options.issuer,
      audience: options.audience,
      isRevoked: async (claims, ctx) => !(await this.sessionLive(claims, ctx)),
    });
  }

  private async sessionLive(claims: VerifiedClaims, ctx: Context): Promise<boolean> {
    const until = this.live.get(claims.sid);
    if (until !== undefined && until > Date.now()) return true;
    const response = await this.options.userService.send({
      method: 'GET',
      path: '/auth/session',
      headers: {
        authorization: ctx.get('authorization'),
        'x-request-id': ctx.state['requestId'] as string,
      },
    });
    if (response.status !== 200) {
      this.live.delete(claims.sid);
      return false;
    }
    if (this.live.size > 100_000) this.live.clear(); // bounded memory under a token flood
    this.live.set(claims.sid, Date.now() + this.options.cacheMs);
    return true;
  }

  /** Called when a logout goes through: that session (or all of the user's) is no longer trusted here. */
  forget(sessionId: string | undefined): void {
    if (sessionId !== undefined) this.live.delete(sessionId);
  }

  forgetAll(): void {
    this.live.clear();
  }
}
