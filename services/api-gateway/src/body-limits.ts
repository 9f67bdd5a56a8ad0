import type { Context } from 'koa';

/**
 * Routes whose JSON bodies may be larger than the gateway's `BODY_LIMIT_BYTES`, as `METHOD /path` (the
 * canonical path, compared case-insensitively like the router) → bytes. Every other route keeps the default.
 *
 * `POST /api/telegram/posts/images`: one image of at most 10 MB (integration-service `MAX_IMAGE_BYTES`) in
 * base64 (4/3) plus the JSON envelope — the same 14 MiB integration-service accepts (its app.ts `bodyLimit`),
 * so an image the service takes passes the edge and a larger one is refused here with 413.
 */
export const ROUTE_BODY_LIMITS: Readonly<Record<string, number>> = {
  'POST /api/telegram/posts/images': 14 * 1024 * 1024,
};

/** The body limit of a request: its route's entry in `ROUTE_BODY_LIMITS`, else `defaultLimit` (bytes). */
export function bodyLimitOf(defaultLimit: number): (ctx: Context) => number {
  const limits = new Map(Object.entries(ROUTE_BODY_LIMITS).map(([route, bytes]) => [route.toLowerCase(), bytes]));
  return (ctx) => limits.get(`${ctx.method} ${ctx.path}`.toLowerCase()) ?? defaultLimit;
}
