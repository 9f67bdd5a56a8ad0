import cors from '@koa/cors';
import type { Context, Middleware } from 'koa';
import {
  createApp,
  HttpProblem,
  JwksKeys,
  proxyRanges,
  REFRESH_COOKIE,
  requireRole,
  type Logger,
  type ServiceApp,
  type SessionRevocations,
} from '@cf/kit';
import type { GatewayConfig } from './config.ts';
import { rejectForeignCookieWrites } from './csrf.ts';
import { bodyLimitOf } from './body-limits.ts';
import { canonicalPath } from './canonical-path.ts';
import { createEdgeAuth } from './edge-auth.ts';
import { forward, REVOCATION_WAIT_MS } from './forwarding.ts';
import { aggregateOpenApi, docsPage, docsScript } from './openapi.ts';
import { EdgeRateLimits } from './rate-limit.ts';
import type { RateLimitStore } from './rate-limit-store.ts';
import { serveWebApp } from '@cf/kit';
import { Upstream } from './upstream.ts';
import { proxyLane, type LaneRoute, type RequestListener } from './proxy-lane.ts';

export interface Gateway extends ServiceApp {
  upstreams: Upstream[];
  revocations: SessionRevocations;
  limits: EdgeRateLimits;
  close(): Promise<void>;
}

function pathAfter(ctx: Context, prefix: string): string {
  return `${ctx.path.slice(prefix.length)}${ctx.querystring ? `?${ctx.querystring}` : ''}`;
}

/** The gateway's app; `store` (see rate-limit-store.ts) makes its rate limits hold across replicas. */
export function createGateway(config: GatewayConfig, logger: Logger, store?: RateLimitStore): Gateway {
  const userService = new Upstream('user-service', config.USER_SERVICE_URL, config.UPSTREAM_TIMEOUT_MS);
  const integrationService = new Upstream(
    'integration-service',
    config.INTEGRATION_SERVICE_URL,
    config.UPSTREAM_TIMEOUT_MS,
  );
  const keys = new JwksKeys({ url: config.JWKS_URL ?? `${config.USER_SERVICE_URL}/.well-known/jwks.json` });
  const allowedOrigins = [config.PUBLIC_ORIGIN, ...config.CORS_ORIGINS];

  const service = createApp({
    name: 'api-gateway',
    logger,
    bodyLimit: bodyLimitOf(config.BODY_LIMIT_BYTES),
    beforeRouting: [canonicalPath()],
    trustedProxies: config.TRUSTED_PROXIES,
    readiness: {
      'user-service': async () =>
        (await userService.send({ method: 'GET', path: '/readyz', headers: {} })).status === 200,
      'session-revocations': async () => edgeAuth.revocations.healthy(),
    },
  });
  const { app, router } = service;
  const edgeAuth = createEdgeAuth({
    keys,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    revocationsUrl: config.REVOCATIONS_URL ?? `${config.USER_SERVICE_URL}/internal/session-revocations`,
    logger,
    registry: service.metrics.registry,
  });
  edgeAuth.revocations.start();
  const limits = new EdgeRateLimits({
    perIp: config.RATE_LIMIT_PER_IP,
    perUser: config.RATE_LIMIT_PER_USER,
    windowSeconds: config.RATE_WINDOW_SECONDS,
    registry: service.metrics.registry,
    logger,
    store: store?.database.sequelize,
    storeTimeoutMs: config.RATE_LIMIT_STORE_TIMEOUT_MS,
    localShare: config.RATE_LIMIT_LOCAL_SHARE,
    syncMs: config.RATE_LIMIT_SYNC_MS,
  });

  // CORS before everything so preflights and errors both carry the allowlist's headers.
  const corsAllowed = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  app.middleware.unshift(
    cors({
      origin: (ctx) => (corsAllowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
      credentials: true,
      allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
      exposeHeaders: ['Retry-After', 'X-Request-Id'],
      maxAge: 600,
    }) as Middleware,
  );

  const api: Middleware[] = [limits.byIp()];
  const authenticated: Middleware[] = [limits.byIpAlongside(), edgeAuth.authenticate, limits.byUser()];

  // Logouts need no special case here: every ended session reaches this replica through the revocation feed.
  /**
   * Forwards to `upstream`; where the route follows revocations, user-service names the feed position of a
   * revocation its answer caused, and this replica answers only once it follows the feed that far, so the
   * caller's next request here already sees the session ended.
   */
  const toUpstream = async (
    ctx: Context,
    route: { upstream: Upstream; followsRevocations: boolean },
    cookies: boolean,
  ) => {
    const revokedUpTo = await forward(ctx, route.upstream, {
      path: pathAfter(ctx, '/api'),
      cookies,
      publicPrefix: '/api',
    });
    if (route.followsRevocations && revokedUpTo !== undefined) {
      await edgeAuth.revocations.reached(revokedUpTo, REVOCATION_WAIT_MS);
    }
  };
  router.all('/api/auth/*rest', ...api, rejectForeignCookieWrites(allowedOrigins, REFRESH_COOKIE), (ctx) =>
    toUpstream(ctx, { upstream: userService, followsRevocations: true }, true),
  );
  /** The authenticated prefixes, declared once: koa's routes below and the proxy lane are both made from them. */
  const authenticatedRoutes: LaneRoute[] = [
    {
      prefix: '/api/users/',
      template: '/api/users/*rest',
      upstream: userService,
      admin: false,
      followsRevocations: true,
    },
    {
      prefix: '/api/admin/',
      template: '/api/admin/*rest',
      upstream: userService,
      admin: true,
      followsRevocations: true,
    },
    {
      prefix: '/api/telegram/',
      template: '/api/telegram/*rest',
      upstream: integrationService,
      admin: false,
      followsRevocations: false,
    },
  ];
  for (const route of authenticatedRoutes) {
    const roleCheck = route.admin ? [requireRole('admin')] : [];
    router.all(route.template, ...authenticated, ...roleCheck, (ctx) => toUpstream(ctx, route, false));
  }

  let openApi: { document: Record<string, unknown>; at: number } | undefined;
  router.get('/api/openapi.json', ...api, async (ctx) => {
    if (openApi === undefined || Date.now() - openApi.at > 60_000) {
      const document = await aggregateOpenApi(
        [
          { upstream: userService, prefixes: { '/auth': '/api/auth', '/users': '/api/users', '/admin': '/api/admin' } },
          { upstream: integrationService, prefixes: { '/telegram': '/api/telegram' } },
        ],
        logger,
      );
      openApi = { document, at: Date.now() };
    }
    ctx.body = openApi.document;
  });
  if (config.DEBUG) {
    router.get('/api/docs', (ctx) => {
      ctx.type = 'html';
      ctx.body = docsPage();
    });
    router.get('/api/docs.js', (ctx) => {
      ctx.type = 'js';
      ctx.body = docsScript();
    });
  }
  router.all('/api/*rest', (ctx) => {
    throw HttpProblem.notFound(`no API route for ${ctx.method} ${ctx.path}`);
  });

  if (config.WEB_ROOT !== undefined) app.use(serveWebApp(config.WEB_ROOT));

  // Authenticated requests without a body skip koa (proxy-lane.ts says which, and why). Replacing the app's
  // `callback` puts the lane under every server made from it — kit's listen(), app.listen() — with no other change.
  const lane = proxyLane({
    routes: authenticatedRoutes,
    edgeAuth,
    revocations: edgeAuth.revocations,
    limits,
    metrics: service.metrics,
    logger,
    proxies: proxyRanges(config.TRUSTED_PROXIES),
  });
  const koaCallback = app.callback.bind(app);
  // The gateway serves HTTP/1.1 only (kit's listen()), so koa's http2 request types never reach it.
  app.callback = () => lane(koaCallback() as RequestListener) as ReturnType<typeof koaCallback>;

  return {
    ...service,
    upstreams: [userService, integrationService],
    revocations: edgeAuth.revocations,
    limits,
    async close() {
      await edgeAuth.revocations.stop();
      await limits.close();
      await Promise.all([userService.close(), integrationService.close(), store?.close()]);
    },
  };
}
