import type { IncomingHttpHeaders } from 'node:http';
import type { Context } from 'koa';
import type { Upstream } from './upstream.ts';

/**
 * Headers that never travel upstream from a client: hop-by-hop ones, and any that could claim an
 * identity or an origin. The gateway sets its own X-Forwarded-For and X-Request-Id.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'forwarded',
  'x-real-ip',
  'x-request-id',
  'x-client-ip',
]);

function droppedRequestHeader(name: string): boolean {
  return (
    DROPPED_REQUEST_HEADERS.has(name) ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('x-user') ||
    name.startsWith('x-auth') ||
    name.startsWith('x-identity')
  );
}

/** Upstream answer headers a client sees (Set-Cookie only where `cookies` says so). */
export const PASSED_RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'retry-after',
  'www-authenticate',
  'location',
  'allow',
  'accept-post',
];

export interface ForwardOptions {
  /** Path on the upstream, query string included. */
  path: string;
  /** Pass the Cookie header and Set-Cookie back (only user-service's /auth routes need them). */
  cookies: boolean;
  /** Public prefix the gateway strips, e.g. `/api`: put back in front of a problem's `instance`. */
  publicPrefix: string;
}

/**
 * An upstream problem names its own path as `instance`; clients know the public one. Only problem bodies
 * (small, ours) are rewritten; anything unparsable is passed on untouched.
 */
export function publicProblem(body: Buffer, prefix: string): Buffer {
  try {
    const problem = JSON.parse(body.toString()) as { instance?: unknown };
    if (typeof problem.instance !== 'string' || !problem.instance.startsWith('/')) return body;
    problem.instance = `${prefix}${problem.instance}`;
    return Buffer.from(JSON.stringify(problem));
  } catch {
    return body;
  }
}

/** user-service's answer header naming the revocation feed position after the request (internal; never passed on). */
export const REVOCATION_VERSION_HEADER = 'x-revocation-version';

/** How long an answer naming a revocation waits for this replica to follow the feed that far (ms). */
export const REVOCATION_WAIT_MS = 2000;

export interface HopHeaders {
  /** Pass the Cookie header (see ForwardOptions). */
  cookies: boolean;
  /** The client address the gateway resolved (X-Forwarded-For). */
  ip: string;
  /** `http` or `https` as the client connected (X-Forwarded-Proto). */
  protocol: string;
  requestId: string;
  /** Whether a checked JSON body travels along (Content-Type: application/json), else no Content-Type. */
  json: boolean;
}

/** The headers a request carries upstream: the client's, less the dropped ones, plus the gateway's own. */
export function upstreamHeaders(incoming: IncomingHttpHeaders, hop: HopHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || droppedRequestHeader(name)) continue;
    if (name === 'cookie' && !hop.cookies) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  headers['x-forwarded-for'] = hop.ip;
  headers['x-forwarded-proto'] = hop.protocol;
  headers['x-request-id'] = hop.requestId;
  if (hop.json) headers['content-type'] = 'application/json';
  else delete headers['content-type'];
  return headers;
}

/** The revocation feed position an upstream answer names (REVOCATION_VERSION_HEADER), if any. */
export function revocationVersionOf(headers: IncomingHttpHeaders): number | undefined {
  const version = Number(headers[REVOCATION_VERSION_HEADER]);
  return Number.isSafeInteger(version) && version > 0 ? version : undefined;
}

/**
 * Sends the request on to `upstream` and copies the answer back onto `ctx`.
 * Returns the revocation feed position the upstream named, if any.
 */
export async function forward(ctx: Context, upstream: Upstream, options: ForwardOptions): Promise<number | undefined> {
  // The text as received and checked (kit's jsonBody), never re-serialised.
  const body = ctx.request.rawBody;
  const headers = upstreamHeaders(ctx.request.headers, {
    cookies: options.cookies,
    ip: ctx.ip,
    protocol: ctx.protocol,
    requestId: ctx.state['requestId'] as string,
    json: body !== undefined,
  });
  const response = await upstream.send({
    method: ctx.method,
    path: options.path,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  ctx.status = response.status;
  for (const name of PASSED_RESPONSE_HEADERS) {
    const value = response.headers[name];
    if (value !== undefined) ctx.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const cookies = response.headers['set-cookie'];
  if (options.cookies && cookies !== undefined) ctx.append('Set-Cookie', cookies);
  const contentType = String(response.headers['content-type'] ?? '');
  if (response.body.length > 0) {
    ctx.body = contentType.startsWith('application/problem+json')
      ? publicProblem(response.body, options.publicPrefix)
      : response.body;
  } else if (response.status === 204 || response.status === 304) ctx.body = null;
  else ctx.body = '';
  return revocationVersionOf(response.headers);
}
