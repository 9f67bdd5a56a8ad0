import type { Middleware } from 'koa';
import { HttpProblem } from '@cf/kit';

/** Encoded separators and dot segments: a path holding them could be routed here as one thing and upstream as another. */
const AMBIGUOUS = /%2f|%5c|%2e|\\|\0|(^|\/)\.\.?(\/|$)/i;

/**
 * The one normalisation of the request path for the whole gateway, before any routing: repeated slashes
 * collapse, a trailing slash goes, and a path that could mean something else upstream (dot segments,
 * encoded slashes or dots, backslashes) is refused with 400. Routing is case-insensitive, as in every
 * service (@koa/router's default), so `/api/auth/Logout/` and `/api/auth/logout` are the same route.
 */
export function canonicalPath(): Middleware {
  return async function canonicalize(ctx, next) {
    const raw = ctx.path;
    if (AMBIGUOUS.test(raw)) throw HttpProblem.badRequest('the request path is not in canonical form');
    let path = raw.replace(/\/{2,}/g, '/');
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (path !== raw) ctx.path = path;
    await next();
  };
}
