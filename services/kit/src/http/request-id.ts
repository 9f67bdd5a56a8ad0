import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Accepts a caller's id only when it is short and plain, so it is safe to log and to forward. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Gives every request an id (kept from upstream when sane), echoed in the response. */
export function requestId() {
  // Not async: a middleware that only sets values returns `next()`'s promise instead of wrapping it in another.
  return function assignRequestId(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.req.headers[REQUEST_ID_HEADER];
    const id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state['requestId'] = id;
    ctx.res.setHeader('X-Request-Id', id);
    return next();
  };
}
