import Router from '@koa/router';
import Koa, { type Context, type Middleware, type Next } from 'koa';
import { ConnectionError, DatabaseError } from 'sequelize';
import type { Logger } from '../logger.ts';
import { jsonBody } from './body.ts';
import { clientAddress, proxyRanges } from './client-address.ts';
import { checkReadiness, type ReadinessCheck } from './health.ts';
import { createMetrics, measureRequests, serveMetrics, type Metrics } from './metrics.ts';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem.ts';
import { requestId } from './request-id.ts';
import { securityHeaders } from './security-headers.ts';

export interface ServiceAppOptions {
  /** Service name for metrics labels and logs. */
  name: string;
  logger: Logger;
  /** Largest JSON body accepted, in bytes, or per request (see body.ts `JsonBodyOptions.limit`). Default: 64 KiB. */
  bodyLimit?: number | ((ctx: Context) => number);
  /** Dependencies `/readyz` checks. Default: none (ready once serving). */
  readiness?: Record<string, ReadinessCheck>;
  /** Serve `/metrics`. Default: true. */
  exposeMetrics?: boolean;
  /**
   * Address ranges of our own proxies (the gateway for services, the TLS entry for the gateway): only a
   * peer in them is believed about the client address, and only for the hop it added. Default: none.
   */
  trustedProxies?: readonly string[];
  /** Run after error rendering and before body parsing and routing, e.g. a path normalisation. Default: none. */
  beforeRouting?: Middleware[];
}

export interface ServiceApp {
  app: Koa;
  /** Add the service's routes here; health and metrics routes are already on it. */
  router: Router;
  metrics: Metrics;
}

export interface ServiceState {
  requestId: string;
  log: Logger;
}

function sendProblem(ctx: Context, problem: HttpProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = PROBLEM_CONTENT_TYPE;
  ctx.body = problem.toJSON(ctx.path);
}

/** PostgreSQL's SQLSTATE for a statement cancelled by the server (`statement_timeout`). */
const QUERY_CANCELED = '57014';
/** What pg's client says when its `query_timeout` (the kit's query deadline) passes (pg/lib/client.js). */
const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * The database failing, not the request: no connection could be opened or acquired in time (Sequelize's
 * `ConnectionError` family: refused, timed out, pool acquire timeout), or the statement outlived the query deadline.
 * The client may retry; the cause is logged as an error, since someone must look.
 */
function databaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  if (!(error instanceof DatabaseError)) return false;
  const cause = error.parent as { code?: unknown; message?: unknown };
  return cause.code === QUERY_CANCELED || cause.message === QUERY_READ_TIMEOUT;
}

/** Seconds a client waits before retrying after the database failed (a pool connect deadline is 5 s). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Errors from koa and its middleware (http-errors) carry a status and say whether they are safe to show. */
function asProblem(error: unknown): HttpProblem | undefined {
  if (error instanceof HttpProblem) return error;
  const candidate = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof candidate.status === 'number' && candidate.status >= 400 && candidate.status < 500) {
    const detail = candidate.expose === true && typeof candidate.message === 'string' ? candidate.message : undefined;
    return new HttpProblem(candidate.status, detail !== undefined ? { detail } : {});
  }
  return undefined;
}

/**
 * The methods the route at `path` accepts (for `Allow`); empty when no route has that path. A route of
 * literal segments wins over parameter routes that also match (`/logins/qr`, not `/logins/:id`), as it
 * wins when requests are routed — so `Allow` never advertises another resource's methods (issue 22).
 */
function allowedAt(router: Router, path: string): string[] {
  const routes = router.match(path, 'GET').path.filter((layer) => layer.methods.length > 0);
  const literal = routes.filter((layer) => layer.paramNames.length === 0);
  const methods = new Set<string>();
  for (const layer of literal.length > 0 ? literal : routes) for (const method of layer.methods) methods.add(method);
  return [...methods];
}

/**
 * What koa-router's `allowedMethods()` does, with `Allow` from `allowedAt`: OPTIONS answers 200 with it,
 * any other method no route at the path takes (TRACE, QUERY, …) answers 405 with it.
 */
function allowedMethods(router: Router): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || (ctx.body !== undefined && ctx.body !== null)) return;
    const allow = allowedAt(router, ctx.path);
    // A route of this method that declined the request (a path parameter that is no id) is a 404.
    if (allow.length === 0 || allow.includes(ctx.method)) return;
    ctx.set('Allow', allow.join(', '));
    if (ctx.method === 'OPTIONS') {
      ctx.status = 200;
      ctx.body = '';
    } else ctx.status = 405;
  };
}

function renderErrors(logger: Logger) {
  return async function problemDetails(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      // Router fallthroughs leave a bare status: give them the same problem shape as thrown errors. A method
      // no route knows (TRACE, QUERY, …) is a 405 from `allowedMethods`, not a 501 (issue 22).
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) sendProblem(ctx, HttpProblem.notFound(`no route for ${ctx.method} ${ctx.path}`));
        else if (ctx.status === 405) {
          sendProblem(
            ctx,
            new HttpProblem(405, {
              detail: `${ctx.method} is not allowed here`,
              headers: { Allow: ctx.response.get('Allow') },
            }),
          );
        }
      }
    } catch (error) {
      const problem = asProblem(error);
      if (problem !== undefined) {
        sendProblem(ctx, problem);
        return;
      }
      const log = (ctx.state as Partial<ServiceState>).log ?? logger;
      if (databaseUnavailable(error)) {
        log.error({ err: error }, 'database unavailable');
        sendProblem(
          ctx,
          HttpProblem.unavailable('the database is unavailable; try again shortly', DATABASE_RETRY_AFTER_SECONDS),
        );
        return;
      }
      log.error({ err: error }, 'unhandled error');
      sendProblem(ctx, new HttpProblem(500, { detail: 'an unexpected error occurred; it has been logged' }));
    }
  };
}

function accessLog(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    // `simple` child: only adds a field, skipping bunyan's per-child stream and serializer copies (hot path).
    const log = logger.child({ req_id: ctx.state['requestId'] as string }, true);
    ctx.state['log'] = log;
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: query strings may carry one-time codes.
      log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 100) / 100 }, 'request');
    }
  };
}

/** A koa app with what every service needs; the caller adds routes to `router`. */
export function createApp(options: ServiceAppOptions): ServiceApp {
  const app = new Koa();
  const proxies = proxyRanges(options.trustedProxies ?? []);
  const router = new Router();
  const metrics = createMetrics(options.name);
  app.silent = true;

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const report = await checkReadiness(options.readiness ?? {});
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });
  if (options.exposeMetrics !== false) {
    router.get('/metrics', (ctx) => serveMetrics(ctx, metrics));
  }

  app.use(clientAddress(proxies));
  app.use(requestId());
  app.use(accessLog(options.logger));
  app.use(measureRequests(metrics));
  app.use(renderErrors(options.logger));
  app.use(securityHeaders());
  for (const middleware of options.beforeRouting ?? []) app.use(middleware);
  app.use(jsonBody(options.bodyLimit !== undefined ? { limit: options.bodyLimit } : {}));
  app.use(router.routes());
  app.use(allowedMethods(router));
  return { app, router, metrics };
}
