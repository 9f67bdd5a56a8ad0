import type { Middleware } from 'koa';
import { HttpProblem } from '@cf/kit';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated writes must come from our own pages. Browsers say where a request comes from in
 * `Sec-Fetch-Site` and `Origin`; a foreign value is refused. Clients that send neither header are not
 * browsers, and a SameSite=Strict cookie never rides along with a cross-site browser request anyway.
 */
export function rejectForeignCookieWrites(allowedOrigins: readonly string[], cookieName: string): Middleware {
  const allowed = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  return async (ctx, next) => {
    if (!SAFE_METHODS.has(ctx.method) && ctx.cookies.get(cookieName) !== undefined) {
      const site = ctx.get('sec-fetch-site');
      const origin = ctx.get('origin');
      const foreignSite = site !== '' && site !== 'same-origin' && site !== 'none';
      const foreignOrigin = origin !== '' && (origin === 'null' || !allowed.has(origin));
      if (foreignSite || foreignOrigin) {
        throw HttpProblem.forbidden('cross-site request refused');
      }
    }
    await next();
  };
}
