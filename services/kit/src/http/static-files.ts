import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Middleware } from 'koa';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

/**
 * Serves the built single-page app: files under `root` as they are (hashed assets cached for a year),
 * any other GET that is not an API path gets index.html so client-side routes survive a reload.
 */
export function serveWebApp(root: string): Middleware {
  const base = resolve(root);
  const fileAt = (path: string): string | undefined => {
    const candidate = resolve(join(base, normalize(decodeURIComponent(path))));
    if (candidate !== base && !candidate.startsWith(base + sep)) return undefined; // no escaping the root
    try {
      return statSync(candidate).isFile() ? candidate : undefined;
    } catch {
      return undefined;
    }
  };
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.path.startsWith('/api/')) return next();
    let file: string | undefined;
    try {
      file = fileAt(ctx.path);
    } catch {
      return next(); // undecodable path
    }
    const asset = file !== undefined;
    file ??= fileAt('/index.html');
    if (file === undefined) return next();
    ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
    ctx.set(
      'Cache-Control',
      asset && ctx.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    // The UI talks only to this origin; its inline-free bundle allows a strict policy.
    ctx.set(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
    ctx.body = createReadStream(file);
  };
}
