import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { jsonShapeProblem, type JsonShapeLimits } from './json-shape.ts';
import { HttpProblem } from './problem.ts';

export interface JsonBodyOptions {
  /**
   * Largest accepted body in bytes, or a function of the request choosing it (a per-route table, e.g. the
   * gateway's body-limits.ts). Default: 64 KiB — no endpoint of ours takes more.
   */
  limit?: number | ((ctx: Context) => number);
  /** Bounds on nesting, array length and keys (see `jsonShapeProblem`). Default: its defaults. */
  shape?: JsonShapeLimits;
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

function hasBody(ctx: Context): boolean {
  const length = ctx.request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return ctx.request.headers['transfer-encoding'] !== undefined;
}

/**
 * Reads JSON request bodies into `ctx.request.body` with a size limit.
 * Answers 415 for a body that is not JSON, 413 when it is too large, 400 when it does not parse.
 * A request without a body gets `undefined`, so validation reports the missing fields.
 */
export function jsonBody(options: JsonBodyOptions = {}) {
  const limitOf = options.limit ?? 64 * 1024;
  const parseJsonBody = async function parseJsonBody(ctx: Context, next: Next): Promise<void> {
    if (!isJsonType(ctx.request.headers['content-type'])) {
      throw new HttpProblem(415, {
        detail: 'request body must be application/json',
        headers: { 'Accept-Post': 'application/json' },
      });
    }
    const limit = typeof limitOf === 'number' ? limitOf : limitOf(ctx);
    const declared = Number(ctx.request.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limit) {
      throw new HttpProblem(413, { detail: `request body exceeds ${limit} bytes` });
    }
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit, encoding: 'utf8' });
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type === 'entity.too.large') {
        throw new HttpProblem(413, { detail: `request body exceeds ${limit} bytes` });
      }
      throw HttpProblem.badRequest('request body could not be read');
    }
    const shapeProblem = jsonShapeProblem(text, options.shape);
    if (shapeProblem !== undefined) throw HttpProblem.badRequest(shapeProblem);
    try {
      ctx.request.body = text.length === 0 ? undefined : (JSON.parse(text) as unknown);
    } catch {
      throw HttpProblem.badRequest('request body is not valid JSON');
    }
    // Kept as received, so a proxy forwards exactly what it checked instead of re-serialising it.
    ctx.request.rawBody = text.length === 0 ? undefined : text;
    return next();
  };
  // Requests without a body (every GET) pass straight on, without an async frame of their own.
  return function jsonBodyIfAny(ctx: Context, next: Next): Promise<void> {
    if (!METHODS_WITH_BODY.has(ctx.method) || !hasBody(ctx)) return next();
    return parseJsonBody(ctx, next);
  };
}

declare module 'koa' {
  interface Request {
    body?: unknown;
    /** The JSON body's text as received (after the checks above). */
    rawBody?: string;
  }
}
