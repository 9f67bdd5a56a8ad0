import type { Context } from 'koa';
import {
  createApp,
  HttpProblem,
  mountOperations,
  openApiDocument,
  type Logger,
  type Operation,
  type ServiceApp,
} from '@cf/kit';
import type { UserStore } from './db/store.ts';
import type { RateLimits } from './rate-limits.ts';
import { RefreshCookie } from './refresh-cookie.ts';
import { adminRoutes } from './routes/admin.ts';
import { authRoutes } from './routes/auth.ts';
import type { RouteDeps } from './routes/deps.ts';
import { usersRoutes } from './routes/users.ts';
import type { Sessions } from './sessions.ts';
import { claimsOf, requireAccessToken, type AccessTokenSettings } from './tokens/access-tokens.ts';
import type { SigningKeys } from './tokens/signing-keys.ts';

export { REFRESH_COOKIE } from './refresh-cookie.ts';

export interface UserServiceDeps {
  logger: Logger;
  store: UserStore;
  keys: SigningKeys;
  sessions: Sessions;
  limits: RateLimits;
  access: AccessTokenSettings;
  cookie: { path: string; secure: boolean; maxAgeDays: number };
  trustProxy: boolean;
  readiness?: Record<string, () => Promise<boolean>>;
}

/** user-service's HTTP app: the auth, users and admin route areas, its OpenAPI document and its JWKS. */
export function createUserService(deps: UserServiceDeps): ServiceApp & { operations: Operation[] } {
  const service = createApp({
    name: 'user-service',
    logger: deps.logger,
    trustProxy: deps.trustProxy,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  const routeDeps: RouteDeps = {
    ...deps,
    cookie: new RefreshCookie(deps.cookie),
    authenticated: requireAccessToken(deps.keys, deps.access, (claims) =>
      deps.store.sessionActive(claims.sid, claims.sub),
    ),
    adminOnly: async (ctx: Context, next: () => Promise<unknown>): Promise<void> => {
      if (claimsOf(ctx).role !== 'admin') throw HttpProblem.forbidden('administrators only');
      await next();
    },
  };
  const operations: Operation[] = [...authRoutes(routeDeps), ...usersRoutes(routeDeps), ...adminRoutes(routeDeps)];

  mountOperations(service.router, operations);
  const document = openApiDocument(
    { title: 'Content Factory user-service', version: '0.1.0', description: 'Accounts, sessions and tokens' },
    operations,
  );
  service.router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  service.router.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = deps.keys.jwks();
  });
  return { ...service, operations };
}
