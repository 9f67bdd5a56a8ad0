import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Accepts a caller's id only when it is short and plain, so it is safe to log and to forward. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Gives every request an id (kept from upstream when sane), echoed in the response. */
export function requestId() {
  return async function assignRequestId(ctx: Context, next: Next): Promise<void> {
    const incoming = ctx.get(REQUEST_ID_HEADER);
    const id = ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state['requestId'] = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
