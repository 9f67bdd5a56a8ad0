import type { Context } from 'koa';
import jwt from 'jsonwebtoken';
import {
  createApp,
  HttpProblem,
  mountOperations,
  openApiDocument,
  operation,
  type Logger,
  type Operation,
  type ServiceApp,
} from '@cf/kit';
import { audit } from './audit.ts';
import { type UserRow, type UserStore } from './db/store.ts';
import { hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import type { RateLimits } from './rate-limits.ts';
import {
  AdminListQuery,
  AdminPatchBody,
  ChangePasswordBody,
  LoginBody,
  LogoutBody,
  PatchMeBody,
  RefreshBody,
  RegisterBody,
  Uuid,
} from './schemas.ts';
import { digest, type IssuedTokens, type Sessions } from './sessions.ts';
import { claimsOf, requireAccessToken, type AccessClaims, type AccessTokenSettings } from './tokens/access-tokens.ts';
import type { SigningKeys } from './tokens/signing-keys.ts';

export const REFRESH_COOKIE = 'cf_refresh';

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

function publicUser(user: UserRow): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    displayName: user.display_name,
    role: user.role,
    createdAt: user.created_at,
  };
}

/** One message for unknown email, wrong password and disabled account: nothing to enumerate. */
const LOGIN_FAILED = 'email or password is incorrect';

export function createUserService(deps: UserServiceDeps): ServiceApp & { operations: Operation[] } {
  const { logger, store, sessions, limits } = deps;
  const service = createApp({
    name: 'user-service',
    logger,
    trustProxy: deps.trustProxy,
    ...(deps.readiness ? { readiness: deps.readiness } : {}),
  });
  const authenticated = requireAccessToken(deps.keys, deps.access, (claims) =>
    store.sessionActive(claims.sid, claims.sub),
  );
  const adminOnly = async (ctx: Context, next: () => Promise<unknown>): Promise<void> => {
    if (claimsOf(ctx).role !== 'admin') throw HttpProblem.forbidden('administrators only');
    await next();
  };

  /**
   * TLS ends at the entry in front of us, so the request we see is plain HTTP; the cookie must still be
   * Secure. Telling the cookie jar the connection is secure is the `cookies` package's documented way.
   */
  const secureJar = (ctx: Context): void => {
    if (deps.cookie.secure) (ctx.cookies as unknown as { secure: boolean }).secure = true;
  };
  const setRefreshCookie = (ctx: Context, token: string): void => {
    secureJar(ctx);
    ctx.cookies.set(REFRESH_COOKIE, token, {
      httpOnly: true,
      secure: deps.cookie.secure,
      sameSite: 'strict',
      path: deps.cookie.path,
      maxAge: deps.cookie.maxAgeDays * 86_400_000,
    });
  };
  const clearRefreshCookie = (ctx: Context): void => {
    secureJar(ctx);
    ctx.cookies.set(REFRESH_COOKIE, '', {
      httpOnly: true,
      secure: deps.cookie.secure,
      sameSite: 'strict',
      path: deps.cookie.path,
      maxAge: 0,
    });
  };
  const tokenResponse = (ctx: Context, issued: IssuedTokens, inBody: boolean): Record<string, unknown> => {
    setRefreshCookie(ctx, issued.refreshToken);
    ctx.set('Cache-Control', 'no-store');
    return {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      ...(inBody ? { refresh_token: issued.refreshToken } : {}),
    };
  };
  const userAgent = (ctx: Context): string | null => ctx.get('user-agent') || null;

  /** The session a logout names: a verified access token (even of a revoked session) or a refresh token. */
  const sessionToEnd = async (
    ctx: Context,
    bodyToken: string | undefined,
  ): Promise<{ sessionId: string; userId: string } | undefined> => {
    const header = ctx.get('authorization');
    if (header.startsWith('Bearer ')) {
      try {
        const token = header.slice(7);
        const decoded = jwt.decode(token, { complete: true });
        const key = decoded?.header.kid !== undefined ? deps.keys.verificationKey(decoded.header.kid) : undefined;
        if (key !== undefined) {
          const claims = jwt.verify(token, key, {
            algorithms: ['ES256'],
            issuer: deps.access.issuer,
            audience: deps.access.audience,
          }) as AccessClaims;
          return { sessionId: claims.sid, userId: claims.sub };
        }
      } catch {
        // fall through to the refresh token
      }
    }
    const refresh = bodyToken ?? ctx.cookies.get(REFRESH_COOKIE);
    if (refresh === undefined || refresh === '') return undefined;
    const found = await store.sessionOfRefreshToken(digest(refresh));
    return found === undefined ? undefined : { sessionId: found.session_id, userId: found.user_id };
  };

  const operations: Operation[] = [
    operation({
      method: 'post',
      path: '/auth/register',
      summary: 'Create an account and log in',
      tags: ['auth'],
      body: RegisterBody,
      responses: {
        201: 'the user and a session',
        400: 'invalid input',
        409: 'email already registered',
        429: 'too many registrations from this address',
      },
      async handler(ctx, { body }) {
        await limits.registerAttempt(ctx.ip);
        const user = await store.createUser(body.email, await hashPassword(body.password), body.displayName ?? null);
        if (user === undefined) throw HttpProblem.conflict('an account with this email already exists');
        const issued = await sessions.start(user, ctx.ip, userAgent(ctx));
        audit(ctx, logger, 'register', { userId: user.id, sessionId: issued.sessionId });
        ctx.status = 201;
        ctx.body = { user: publicUser(user), session: tokenResponse(ctx, issued, false) };
      },
    }),
    operation({
      method: 'post',
      path: '/auth/login',
      summary: 'Log in with email and password',
      tags: ['auth'],
      body: LoginBody,
      responses: {
        200: 'an access token; the refresh token as an HttpOnly cookie',
        400: 'invalid input',
        401: 'wrong email or password',
        429: 'too many attempts',
      },
      async handler(ctx, { body }) {
        const email = body.email.trim().toLowerCase();
        // The account lookup runs beside the limit check (one round trip instead of two); a refused
        // attempt still never reaches the password check.
        const [, user] = await Promise.all([limits.loginAttempt(email, ctx.ip), store.userByEmail(body.email)]);
        const passwordOk = await verifyPassword(user?.password_hash, body.password);
        if (user === undefined || !passwordOk || user.disabled) {
          const reason = user === undefined ? 'unknown-email' : !passwordOk ? 'wrong-password' : 'disabled';
          audit(ctx, logger, 'login.failure', { ...(user ? { userId: user.id } : {}), reason });
          throw new HttpProblem(401, { detail: LOGIN_FAILED });
        }
        if (needsRehash(user.password_hash)) await store.setPasswordHash(user.id, await hashPassword(body.password));
        const [, issued] = await Promise.all([
          limits.loginSucceeded(email, ctx.ip),
          sessions.start(user, ctx.ip, userAgent(ctx)),
        ]);
        audit(ctx, logger, 'login.success', { userId: user.id, sessionId: issued.sessionId });
        ctx.body = tokenResponse(ctx, issued, body.includeRefreshToken === true);
      },
    }),
    operation({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Exchange the refresh token (cookie or body) for new tokens; the old one stops working',
      tags: ['auth'],
      body: RefreshBody,
      responses: { 200: 'new access and refresh tokens', 401: 'missing, expired, revoked or reused refresh token' },
      async handler(ctx, { body }) {
        const token = body?.refresh_token ?? ctx.cookies.get(REFRESH_COOKIE);
        if (token === undefined || token === '') throw HttpProblem.unauthorized('a refresh token is required');
        const result = await sessions.refresh(token);
        if (result.outcome === 'reused') {
          audit(ctx, logger, 'refresh.reuse-detected', { userId: result.userId, sessionId: result.sessionId });
          clearRefreshCookie(ctx);
          throw HttpProblem.unauthorized('this refresh token was already used; the session has been ended');
        }
        if (result.outcome === 'invalid') {
          clearRefreshCookie(ctx);
          throw HttpProblem.unauthorized('the refresh token is not valid');
        }
        audit(ctx, logger, 'refresh', { userId: result.userId, sessionId: result.sessionId, grace: result.grace });
        ctx.body = tokenResponse(ctx, result, body?.refresh_token !== undefined || body?.includeRefreshToken === true);
      },
    }),
    operation({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the current session; its refresh and access tokens stop working at once',
      tags: ['auth'],
      body: LogoutBody,
      responses: { 204: 'logged out (also when the session was already gone)' },
      async handler(ctx, { body }) {
        const session = await sessionToEnd(ctx, body?.refresh_token);
        if (session !== undefined) {
          const ended = await store.revokeSession(session.sessionId, session.userId, 'logout');
          if (ended > 0) audit(ctx, logger, 'logout', { userId: session.userId, sessionId: session.sessionId });
        }
        clearRefreshCookie(ctx);
        ctx.status = 204;
      },
    }),
    operation({
      method: 'post',
      path: '/auth/logout-all',
      summary: 'End every session of the caller',
      tags: ['auth'],
      security: 'bearer',
      middleware: [authenticated],
      responses: { 204: 'all sessions ended', 401: 'no valid access token' },
      async handler(ctx) {
        const claims = claimsOf(ctx);
        const count = await store.revokeAllSessions(claims.sub, 'logout-all');
        audit(ctx, logger, 'logout.all', { userId: claims.sub, sessions: count });
        clearRefreshCookie(ctx);
        ctx.status = 204;
      },
    }),
    operation({
      method: 'get',
      path: '/auth/session',
      summary: 'Whether the caller’s access token and its session are still good (for the gateway’s edge check)',
      tags: ['auth'],
      security: 'bearer',
      middleware: [authenticated],
      responses: { 200: 'the session is live', 401: 'no valid access token, or the session ended' },
      handler(ctx) {
        const claims = claimsOf(ctx);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { sessionId: claims.sid, userId: claims.sub, role: claims.role };
      },
    }),
    operation({
      method: 'get',
      path: '/auth/sessions',
      summary: 'The caller’s active sessions',
      tags: ['auth'],
      security: 'bearer',
      middleware: [authenticated],
      responses: { 200: 'sessions, newest use first', 401: 'no valid access token' },
      async handler(ctx) {
        const claims = claimsOf(ctx);
        const rows = await store.activeSessions(claims.sub);
        ctx.body = {
          sessions: rows.map((row) => ({
            id: row.id,
            createdAt: row.created_at,
            lastUsedAt: row.last_used_at,
            ip: row.ip,
            userAgent: row.user_agent,
            current: row.id === claims.sid,
          })),
        };
      },
    }),
    operation({
      method: 'delete',
      path: '/auth/sessions/:id',
      summary: 'End one of the caller’s sessions',
      tags: ['auth'],
      security: 'bearer',
      middleware: [authenticated],
      responses: { 204: 'ended', 401: 'no valid access token', 404: 'no such session of the caller' },
      async handler(ctx) {
        const claims = claimsOf(ctx);
        const id = Uuid.safeParse(ctx.params['id']);
        const ended = id.success ? await store.revokeSession(id.data, claims.sub, 'revoked-by-user') : 0;
        if (ended === 0) throw HttpProblem.notFound('no such session');
        audit(ctx, logger, 'session.revoked', { userId: claims.sub, sessionId: id.data });
        ctx.status = 204;
      },
    }),
    operation({
      method: 'get',
      path: '/users/me',
      summary: 'The caller’s account',
      tags: ['users'],
      security: 'bearer',
      middleware: [authenticated],
      responses: { 200: 'the account', 401: 'no valid access token' },
      async handler(ctx) {
        const user = await store.userById(claimsOf(ctx).sub);
        if (user === undefined) throw HttpProblem.unauthorized();
        ctx.body = publicUser(user);
      },
    }),
    operation({
      method: 'patch',
      path: '/users/me',
      summary: 'Change the caller’s display name (the only field a user may change here)',
      tags: ['users'],
      security: 'bearer',
      middleware: [authenticated],
      body: PatchMeBody,
      responses: { 200: 'the updated account', 400: 'invalid input', 401: 'no valid access token' },
      async handler(ctx, { body }) {
        const user = await store.setDisplayName(claimsOf(ctx).sub, body.displayName);
        if (user === undefined) throw HttpProblem.unauthorized();
        ctx.body = publicUser(user);
      },
    }),
    operation({
      method: 'post',
      path: '/users/me/password',
      summary: 'Change the password; every other session of the caller ends',
      tags: ['users'],
      security: 'bearer',
      middleware: [authenticated],
      body: ChangePasswordBody,
      responses: { 204: 'changed', 400: 'invalid input or wrong current password', 401: 'no valid access token' },
      async handler(ctx, { body }) {
        const claims = claimsOf(ctx);
        const user = await store.userById(claims.sub);
        if (user === undefined) throw HttpProblem.unauthorized();
        if (!(await verifyPassword(user.password_hash, body.currentPassword))) {
          throw HttpProblem.badRequest('current password is incorrect', [
            { field: 'currentPassword', message: 'incorrect' },
          ]);
        }
        await store.setPasswordHash(user.id, await hashPassword(body.newPassword));
        const ended = await store.revokeAllSessions(user.id, 'password-changed', claims.sid);
        audit(ctx, logger, 'password.changed', { userId: user.id, endedSessions: ended });
        ctx.status = 204;
      },
    }),
    operation({
      method: 'get',
      path: '/admin/users',
      summary: 'All accounts, paged (page size capped at 100)',
      tags: ['admin'],
      security: 'bearer',
      middleware: [authenticated, adminOnly],
      query: AdminListQuery,
      responses: { 200: 'a page of accounts', 401: 'no valid access token', 403: 'not an administrator' },
      async handler(ctx, { query }) {
        const { users, total } = await store.listUsers((query.page - 1) * query.pageSize, query.pageSize);
        ctx.body = {
          users: users.map((user) => ({ ...publicUser(user), disabled: user.disabled })),
          page: query.page,
          pageSize: query.pageSize,
          total,
        };
      },
    }),
    operation({
      method: 'patch',
      path: '/admin/users/:id',
      summary: 'Change an account’s role or disable it (a disabled account’s tokens stop working at once)',
      tags: ['admin'],
      security: 'bearer',
      middleware: [authenticated, adminOnly],
      body: AdminPatchBody,
      responses: {
        200: 'the updated account',
        400: 'invalid input',
        401: 'no valid access token',
        403: 'not an administrator',
        404: 'no such account',
        409: 'an administrator cannot demote or disable themselves',
      },
      async handler(ctx, { body }) {
        const claims = claimsOf(ctx);
        const id = Uuid.safeParse(ctx.params['id']);
        if (!id.success) throw HttpProblem.notFound('no such account');
        if (id.data === claims.sub && (body.disabled === true || body.role === 'user')) {
          throw HttpProblem.conflict('administrators cannot demote or disable themselves');
        }
        const user = await store.updateAdminFields(id.data, body);
        if (user === undefined) throw HttpProblem.notFound('no such account');
        if (body.disabled === true) await store.revokeAllSessions(user.id, 'disabled-by-admin');
        audit(ctx, logger, 'admin.user-updated', {
          userId: claims.sub,
          targetUserId: user.id,
          role: body.role,
          disabled: body.disabled,
        });
        ctx.body = { ...publicUser(user), disabled: user.disabled };
      },
    }),
  ];

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
