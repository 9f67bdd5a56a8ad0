import type { Context, Middleware, Next } from 'koa';
import { HttpProblem, REQUEST_ID_HEADER } from '@cf/kit';

export interface SessionCheckOptions {
  /** user-service's base URL; its `GET /auth/session` says whether the token's session still stands. */
  userServiceUrl: string;
  /** Deadline of each check, in ms. */
  timeoutMs: number;
}

/**
 * Defence in depth (ARCHITECTURE: every service checks): after the token verified, ask user-service on
 * every request — no cache — whether its session is still live, so a logged-out token called directly on
 * this service is refused at once. user-service not answering in time is a 503, not a 401: the caller's
 * session may be fine.
 */
export function requireLiveSession(options: SessionCheckOptions): Middleware {
  const url = new URL('/auth/session', options.userServiceUrl).toString();
  return async function liveSession(ctx: Context, next: Next): Promise<void> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: {
          authorization: ctx.get('authorization'),
          [REQUEST_ID_HEADER]: String(ctx.state['requestId'] ?? ''),
        },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel();
    } catch {
      throw HttpProblem.unavailable('the session cannot be checked right now; try again shortly', 2);
    }
    if (response.status === 401) throw HttpProblem.unauthorized('the session has ended');
    if (response.status !== 200) {
      throw HttpProblem.unavailable('the session cannot be checked right now; try again shortly', 2);
    }
    await next();
  };
}

/** Runs `first`, then (only if it called on) `second`: verification, then the liveness check. */
export function both(first: Middleware, second: Middleware): Middleware {
  return (ctx, next) => first(ctx, () => second(ctx, next));
}
