import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import {
  clientAddressResolver,
  helmetDefaults,
  HttpProblem,
  PROBLEM_CONTENT_TYPE,
  requestIdOf,
  type Logger,
  type Metrics,
  type SessionRevocations,
  type VerifiedClaims,
} from '@cf/kit';
import { canonicalForm } from './canonical-path.ts';
import type { EdgeAuth } from './edge-auth.ts';
import {
  PASSED_RESPONSE_HEADERS,
  publicProblem,
  REVOCATION_WAIT_MS,
  revocationVersionOf,
  upstreamHeaders,
} from './forwarding.ts';
import type { EdgeRateLimits } from './rate-limit.ts';
import type { Upstream } from './upstream.ts';

/** One authenticated prefix the lane serves, as the router names it (the `route` label of the request metrics). */
export interface LaneRoute {
  /** Lower-case public prefix with its trailing slash, e.g. `/api/users/`. */
  prefix: string;
  /** The router's template for the same requests, e.g. `/api/users/*rest`. */
  template: string;
  upstream: Upstream;
  /** Only callers whose verified role is `admin` (403 otherwise). */
  admin: boolean;
  /** Wait for the revocation feed position the answer names before answering (user-service routes). */
  followsRevocations: boolean;
}

export interface ProxyLaneOptions {
  routes: LaneRoute[];
  edgeAuth: EdgeAuth;
  revocations: SessionRevocations;
  limits: EdgeRateLimits;
  metrics: Metrics;
  logger: Logger;
  proxies: BlockList;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Authenticated API requests without a body — `GET` and `DELETE` on `/api/users/*`, `/api/admin/*` and
 * `/api/telegram/*`, with no `Origin` (so no CORS answer is due) — handled on node:http directly instead of
 * through koa: koa's context, the middleware promises and the router's matching cost more per request than the
 * whole proxy hop (bench/gateway.ts: issue 11's goal is ≤ 0.5 ms added at p50 over calling user-service).
 *
 * The lane keeps every edge behaviour of the koa app, from the same code: the canonical path (anything not
 * already unambiguous goes to koa, which answers 400), the client address from trusted proxies only, the request
 * id, helmet's headers and `Vary: Origin` as @koa/cors sets them, the per-address and per-user rate limits
 * counted alongside the token check, a token verified once and checked against the revocation feed, the admin
 * check, header stripping (forwarding.ts), the upstream deadline and its 502/503/504 problems, the request
 * series and the access log. A request with a body, another method, an `Origin` or any other path is koa's.
 */
export function proxyLane(options: ProxyLaneOptions): (koa: RequestListener) => RequestListener {
  const addressOf = clientAddressResolver(options.proxies);
  const security = helmetDefaults();
  const { edgeAuth, revocations, limits, metrics, logger } = options;

  function laneRouteOf(req: IncomingMessage): { route: LaneRoute; path: string; query: string } | undefined {
    if (req.method !== 'GET' && req.method !== 'DELETE') return undefined;
    const headers = req.headers;
    if (headers.origin !== undefined || headers['transfer-encoding'] !== undefined) return undefined;
    if (headers['content-length'] !== undefined && headers['content-length'] !== '0') return undefined;
    const url = req.url ?? '';
    if (!url.startsWith('/')) return undefined;
    const mark = url.indexOf('?');
    const path = canonicalForm(mark === -1 ? url : url.slice(0, mark));
    if (path === undefined) return undefined;
    const lower = path.toLowerCase();
    for (const route of options.routes) {
      if (lower.startsWith(route.prefix) && path.length > route.prefix.length) {
        return { route, path, query: mark === -1 ? '' : url.slice(mark) };
      }
    }
    return undefined;
  }

  /** The rate limits and the token, as the koa chain byIpAlongside → authenticate → byUser orders them. */
  async function admit(req: IncomingMessage, ip: string): Promise<VerifiedClaims> {
    const ipCount = limits.consume('ip', ip);
    // Awaited below in every outcome; never left to reject unobserved.
    ipCount?.catch(() => undefined);
    let claims: VerifiedClaims;
    try {
      claims = await edgeAuth.claimsFor(req.headers.authorization);
    } catch (error) {
      await ipCount;
      throw error;
    }
    let userCount: Promise<void> | undefined;
    try {
      userCount = limits.consume('user', claims.sub);
    } catch (error) {
      userCount = Promise.reject(error as Error);
    }
    if (ipCount !== undefined || userCount !== undefined) await Promise.all([ipCount, userCount]);
    return claims;
  }

  function finish(res: ServerResponse, status: number, body: Buffer | string | undefined): void {
    res.statusCode = status;
    if (body === undefined) res.end();
    else {
      res.setHeader('Content-Length', Buffer.byteLength(body));
      res.end(body);
    }
  }

  function sendProblem(res: ServerResponse, problem: HttpProblem, path: string): number {
    if (res.headersSent || res.destroyed) return problem.status;
    for (const name of PASSED_RESPONSE_HEADERS) res.removeHeader(name);
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
    res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    finish(res, problem.status, JSON.stringify(problem.toJSON(path)));
    return problem.status;
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    lane: { route: LaneRoute; path: string; query: string },
    requestId: string,
  ): Promise<number> {
    const { route, path } = lane;
    const ip = addressOf(req);
    const claims = await admit(req, ip);
    if (route.admin && claims.role !== 'admin') throw HttpProblem.forbidden('administrators only');
    const protocol = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
    const answer = await route.upstream.send({
      method: req.method!,
      // The public prefix `/api` goes; the rest keeps its case, as koa's `pathAfter` does.
      path: `${path.slice(4)}${lane.query}`,
      headers: upstreamHeaders(req.headers, { cookies: false, ip, protocol, requestId, json: false }),
    });
    if (route.followsRevocations) {
      const version = revocationVersionOf(answer.headers);
      if (version !== undefined) await revocations.reached(version, REVOCATION_WAIT_MS);
    }
    for (const name of PASSED_RESPONSE_HEADERS) {
      const value = answer.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
    const status = answer.status;
    if (res.destroyed) return status;
    if (answer.body.length > 0) {
      const type = String(answer.headers['content-type'] ?? '');
      // As koa answers a Buffer body: bytes without a type are application/octet-stream.
      if (type === '') res.setHeader('Content-Type', 'application/octet-stream');
      finish(res, status, type.startsWith(PROBLEM_CONTENT_TYPE) ? publicProblem(answer.body, '/api') : answer.body);
    } else if (status === 204 || status === 304) finish(res, status, undefined);
    else {
      // As koa answers an empty string body.
      if (answer.headers['content-type'] === undefined) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      finish(res, status, '');
    }
    return status;
  }

  return (koa) =>
    function proxyOrKoa(req, res) {
      const lane = laneRouteOf(req);
      if (lane === undefined) return koa(req, res);
      const started = performance.now();
      const requestId = requestIdOf(req);
      const log = logger.child({ req_id: requestId }, true);
      res.setHeader('Vary', 'Origin');
      res.setHeader('X-Request-Id', requestId);
      for (const [name, value] of security.set) res.setHeader(name, value);
      for (const name of security.removed) res.removeHeader(name);
      const done = (status: number): void => {
        const ms = performance.now() - started;
        metrics.requests.observe(lane.route.template, req.method!, status, ms / 1000);
        // The path only: query strings may carry one-time codes.
        log.info({ method: req.method, path: lane.path, status, ms: Math.round(ms * 100) / 100 }, 'request');
      };
      return serve(req, res, lane, requestId).then(done, (error: unknown) => {
        if (error instanceof HttpProblem) {
          done(sendProblem(res, error, lane.path));
          return;
        }
        log.error({ err: error }, 'unhandled error');
        done(
          sendProblem(
            res,
            new HttpProblem(500, { detail: 'an unexpected error occurred; it has been logged' }),
            lane.path,
          ),
        );
      });
    };
}
