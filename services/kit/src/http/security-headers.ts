import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import helmet from 'helmet';

/**
 * What helmet's default policy does to a response — the headers it sets (Content-Security-Policy, Strict-
 * Transport-Security, X-Frame-Options, …) and the ones it removes (X-Powered-By) — worked out once.
 *
 * Its defaults depend on nothing in the request (no directive is a function, no nonce), so one dry run against a
 * recording response gives every request's headers; koa-helmet ran helmet's 13 middlewares through a promisified
 * callback chain per request instead (about a tenth of the gateway's own CPU per request in bench/gateway.ts).
 * Throws if helmet did not finish synchronously or failed: then its output could depend on the request.
 */
export function helmetDefaults(): { set: [string, string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      set.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let finished = false;
  let failure: unknown;
  helmet()({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    finished = true;
    failure = error;
  });
  if (!finished || failure !== undefined) {
    throw new Error('helmet did not produce its headers synchronously', { cause: failure });
  }
  return { set, removed };
}

/** Sets helmet's default security headers on every response (see `helmetDefaults`). */
export function securityHeaders() {
  const { set, removed } = helmetDefaults();
  return function setSecurityHeaders(ctx: Context, next: Next): Promise<void> {
    const res = ctx.res;
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    return next();
  };
}
