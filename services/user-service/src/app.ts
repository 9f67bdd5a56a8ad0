import { createHash } from 'node:crypto';
import {
  createApp,
  mountOperations,
  requireJwt,
  openApiDocument,
  type Logger,
  type Operation,
  type ServiceApp,
} from '@cf/kit';
import type { UserStore } from './db/store.ts';
import { DOCUMENT_SCHEMAS } from './document-schemas.ts';
import { createUserMetrics, type UserMetrics } from './metrics.ts';
import type { RateLimits } from './rate-limits.ts';
import type { RevocationFeed } from './revocations/feed.ts';
import { RefreshCookie } from './refresh-cookie.ts';
import type { Captcha } from './captcha/captcha.ts';
import { accountLinkRoutes, type AccountLinkDeps } from './routes/account-links.ts';
import { captchaRoutes } from './routes/captcha.ts';
import { adminRoutes } from './routes/admin.ts';
import { AuditTrail } from './admin/audit-trail.ts';
import { UserDirectory } from './admin/directory.ts';
import { secondFactorsOf } from './two-factor/state.ts';
import { authRoutes } from './routes/auth.ts';
import type { RouteDeps } from './routes/deps.ts';
import { revocationRoutes } from './routes/revocations.ts';
import { usersRoutes } from './routes/users.ts';
import type { TwoFactor } from './two-factor/factors.ts';
import type { LoginCaptcha } from './two-factor/login-captcha.ts';
import { twoFactorLoginRoutes } from './two-factor/login-routes.ts';
import type { LoginSteps } from './two-factor/login-steps.ts';
import { twoFactorRoutes } from './two-factor/routes.ts';
import type { Sessions } from './sessions.ts';
import type { AccessTokenSettings } from './tokens/access-tokens.ts';
import { JWKS_MAX_AGE_SECONDS, type SigningKeys } from './tokens/signing-keys.ts';

export interface UserServiceDeps {
  logger: Logger;
  store: UserStore;
  keys: SigningKeys;
  sessions: Sessions;
  limits: RateLimits;
  revocations: RevocationFeed;
  access: AccessTokenSettings;
  cookie: { path: string; secure: boolean; maxAgeDays: number };
  /** Address ranges of api-gateway (see `TRUSTED_PROXIES`). */
  trustedProxies: readonly string[];
  readiness?: Record<string, () => Promise<boolean>>;
  /** Mail and single-use links (issue 18); without them verification and reset answer 503. */
  accountLinks?: Pick<AccountLinkDeps, 'tokens' | 'mail' | 'verifyHours'>;
  /** The proof-of-work captcha; `required` makes registration and reset requests need a solved one. */
  captcha?: { captcha: Captcha; required: boolean };
  /** TOTP, recovery codes, passkeys and the login's second-factor step (issue 18). */
  twoFactor?: { factors: TwoFactor; steps: LoginSteps };
  /** Counts failed logins; past its threshold a login needs a solved `captcha` (issue 18 item 4). */
  loginFailures?: LoginCaptcha;
}

/** user-service's HTTP app: the auth, users and admin route areas, its OpenAPI document and its JWKS. */
export function createUserService(
  deps: UserServiceDeps,
): ServiceApp & { operations: Operation[]; domainMetrics: UserMetrics } {
  const service = createApp({
    name: 'user-service',
    logger: deps.logger,
    trustedProxies: deps.trustedProxies,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  const metrics = createUserMetrics(service.metrics.registry);
  const routeDeps: RouteDeps = {
    ...deps,
    cookie: new RefreshCookie(deps.cookie),
    metrics,
    ...(deps.loginFailures !== undefined && deps.captcha !== undefined
      ? { loginCaptcha: { failures: deps.loginFailures, captcha: deps.captcha.captcha } }
      : {}),
    ...(deps.captcha?.required === true
      ? { checkCaptcha: (answer: string | undefined) => deps.captcha!.captcha.verify(answer) }
      : {}),
    // A new account gets its verification link at once (queued; the request never waits on SMTP).
    onRegistered: async (user) => {
      if (deps.accountLinks === undefined) return;
      const { tokens, mail, verifyHours } = deps.accountLinks;
      const tokenId = await tokens.issue(user.id, 'verify-email', user.email, verifyHours * 3600);
      await mail.enqueue({ kind: 'verify-email', to: user.email, tokenId });
    },
  };
  // Our own key set, and the session the token names must still stand (logout, disabled user).
  const authenticate = requireJwt({
    keys: deps.keys,
    issuer: deps.access.issuer,
    audience: deps.access.audience,
    isRevoked: async (claims) => !(await deps.store.sessionActive(claims.sid, claims.sub)),
  });
  // Every audit record of a request is also stored for the admin console's per-account trail (issue 18).
  const trail = new AuditTrail({ sequelize: deps.store.sequelize, logger: deps.logger });
  const operations: Operation[] = [
    ...authRoutes(routeDeps),
    ...usersRoutes(routeDeps),
    ...adminRoutes(routeDeps, {
      directory: new UserDirectory(deps.store.sequelize),
      trail,
      secondFactorsOf: (ids) => secondFactorsOf(deps.store.sequelize, ids),
    }),
    ...revocationRoutes(deps.revocations),
    ...accountLinkRoutes(routeDeps, deps.accountLinks),
    ...captchaRoutes(deps.captcha?.captcha, deps.captcha?.required === true),
    ...twoFactorLoginRoutes(routeDeps),
    ...twoFactorRoutes(routeDeps),
  ];

  // Every write names the revocation feed position after it, so api-gateway can wait until it follows
  // that far before answering: a logout through it is honoured by it on the very next request.
  // Also when the answer is a problem: a refresh-token reuse revokes the session and answers 401.
  service.router.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        // Without the header the gateway simply does not wait; the answer itself must not change.
        const version = await deps.revocations.version().catch(() => undefined);
        if (version !== undefined) ctx.set('x-revocation-version', String(version));
      }
    }
  });
  service.router.use(trail.middleware());
  mountOperations(service.router, operations, { authenticate });
  const document = openApiDocument(
    {
      title: 'Content Factory user-service',
      version: '0.1.0',
      description: 'Accounts, sessions and tokens',
      schemas: DOCUMENT_SCHEMAS,
    },
    operations,
  );
  service.router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  service.router.get('/.well-known/jwks.json', (ctx) => {
    const body = JSON.stringify(deps.keys.jwks());
    // A strong validator over the key set: clients revalidate cheaply and see a rotation at once.
    const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
    ctx.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    ctx.set('ETag', etag);
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/jwk-set+json';
    ctx.body = body;
  });
  return { ...service, operations, domainMetrics: metrics };
}
