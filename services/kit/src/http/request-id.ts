import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Accepts a caller's id only when it is short and plain, so it is safe to log and to forward. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** The request's id: the caller's `X-Request-Id` when short and plain, else a fresh UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
}

/** Gives every request an id (kept from upstream when sane), echoed in the response. */
export function requestId() {
  // Not async: a middleware that only sets values returns `next()`'s promise instead of wrapping it in another.
  return function assignRequestId(ctx: Context, next: Next): Promise<void> {
    const id = requestIdOf(ctx.req);
    ctx.state['requestId'] = id;
    ctx.res.setHeader('X-Request-Id', id);
    return next();
  };
}
