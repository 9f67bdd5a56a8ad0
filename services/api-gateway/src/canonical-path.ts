import type { Middleware } from 'koa';
import { HttpProblem } from '@cf/kit';

/** Encoded separators and dot segments: a path holding them could be routed here as one thing and upstream as another. */
const AMBIGUOUS = /%2f|%5c|%2e|\\|\0|(^|\/)\.\.?(\/|$)/i;

/**
 * The canonical form of a request path: repeated slashes collapse and a trailing slash goes; undefined for a
 * path that could mean something else upstream (dot segments, encoded slashes or dots, backslashes).
 */
export function canonicalForm(raw: string): string | undefined {
  if (AMBIGUOUS.test(raw)) return undefined;
  let path = raw.includes('//') ? raw.replace(/\/{2,}/g, '/') : raw;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/**
 * The one normalisation of the request path for the whole gateway, before any routing (`canonicalForm`); a
 * path with no canonical form is refused with 400. Routing is case-insensitive, as in every service
 * (@koa/router's default), so `/api/auth/Logout/` and `/api/auth/logout` are the same route.
 */
export function canonicalPath(): Middleware {
  return async function canonicalize(ctx, next) {
    const raw = ctx.path;
    const path = canonicalForm(raw);
    if (path === undefined) throw HttpProblem.badRequest('the request path is not in canonical form');
    if (path !== raw) ctx.path = path;
    await next();
  };
}
