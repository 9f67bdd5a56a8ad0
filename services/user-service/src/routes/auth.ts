import type { Context } from 'koa';
import {
  bearerToken,
  HttpProblem,
  noContentAnswer,
  okAnswer,
  operationGroup,
  verifiedClaims,
  verifyAccessToken,
  type Operation,
} from '@cf/kit';
import { audit } from '../audit.ts';
import { hashPassword, needsRehash, verifyPassword } from '../passwords.ts';
import { LoginBody, LogoutBody, RefreshBody, RegisterBody, Uuid } from '../schemas.ts';
import { digest } from '../sessions.ts';
import { publicUser, type RouteDeps } from './deps.ts';
import { LiveSession, Registered, SessionList, TokenResponse } from './responses.ts';
import type { UserRow } from '../db/store.ts';
import { LoginAnswer } from '../two-factor/schemas.ts';

/** One message for unknown email, wrong password and disabled account: nothing to enumerate. */
const LOGIN_FAILED = 'email or password is incorrect';

/** The limiters' store (PostgreSQL) failing: refused rather than unlimited (issue 22). */
const LIMITER_DOWN = 'rate limiting is unavailable';

/**
 * Opens the session a completed login yields — password alone, password + second factor, or a passkey — and
 * answers with the tokens exactly as a plain login does.
 */
export async function startLoginSession(
  ctx: Context,
  deps: RouteDeps,
  user: UserRow,
  refreshInBody: boolean,
  method: 'password' | 'totp' | 'recovery-code' | 'passkey' | 'passwordless',
): Promise<void> {
  const issued = await deps.sessions.start(user, ctx.ip, ctx.get('user-agent') || null);
  audit(ctx, deps.logger, 'login.success', { userId: user.id, sessionId: issued.sessionId, method });
  ctx.body = deps.cookie.tokenResponse(ctx, issued, refreshInBody);
}

/** Registration, login, refresh, logout and the caller's sessions. */
export function authRoutes(deps: RouteDeps): Operation[] {
  const { logger, store, sessions, limits, cookie, metrics } = deps;
  const userAgent = (ctx: Context): string | null => ctx.get('user-agent') || null;

  /** The session a logout names: a verified access token (even of a revoked session) or a refresh token. */
  const sessionToEnd = async (
    ctx: Context,
    bodyToken: string | undefined,
  ): Promise<{ sessionId: string; userId: string } | undefined> => {
    const token = bearerToken(ctx);
    // Verified (signature, issuer, audience, expiry) but not checked for liveness: ending an ended session is fine.
    const claims =
      token === undefined ? undefined : await verifyAccessToken(token, { keys: deps.keys, ...deps.access });
    if (claims !== undefined) return { sessionId: claims.sid, userId: claims.sub };
    const refresh = bodyToken ?? cookie.read(ctx);
    if (refresh === undefined || refresh === '') return undefined;
    const found = await store.sessionOfRefreshToken(digest(refresh));
    return found === undefined ? undefined : { sessionId: found.session_id, userId: found.user_id };
  };

  const publicAuth = operationGroup({ auth: 'none', tags: ['auth'] });
  const userAuth = operationGroup({ auth: 'user', tags: ['auth'] });
  return [
    publicAuth.post('/auth/register', 'Create an account and log in', {
      middleware: [metrics.registrations],
      body: RegisterBody,
      success: { status: 201, description: 'the user and a session', schema: Registered },
      errors: { 409: 'email already registered', 429: 'too many registrations from this address', 503: LIMITER_DOWN },
      async handler(ctx, { body }) {
        await limits.registerAttempt(ctx.ip);
        await deps.checkCaptcha?.(body.captcha);
        const user = await store.createUser(body.email, await hashPassword(body.password), body.displayName ?? null);
        if (user === undefined) throw HttpProblem.conflict('an account with this email already exists');
        const issued = await sessions.start(user, ctx.ip, userAgent(ctx));
        audit(ctx, logger, 'register', { userId: user.id, sessionId: issued.sessionId });
        await deps.onRegistered?.(user);
        ctx.status = 201;
        ctx.body = { user: publicUser(user), session: cookie.tokenResponse(ctx, issued, false) };
      },
    }),
    publicAuth.post('/auth/login', 'Log in with email and password', {
      middleware: [metrics.logins],
      body: LoginBody,
      success: {
        status: 200,
        description:
          'an access token (the refresh token as an HttpOnly cookie); or, when the account has two-factor ' +
          'authentication, only a `second_factor_required` step (no cookie, no token): complete it at ' +
          '`POST /auth/login/second-factor` within `expires_in` seconds',
        schema: LoginAnswer,
      },
      errors: {
        400: 'after repeated failures from this address, a missing or refused captcha (`…/problems/captcha/*`)',
        401: 'wrong email or password',
        429: 'too many attempts',
        503: LIMITER_DOWN,
      },
      async handler(ctx, { body }) {
        const email = body.email.trim().toLowerCase();
        // The account lookup runs beside the limit check (one round trip instead of two); a refused
        // attempt still never reaches the password check.
        const [, user, captchaNeeded] = await Promise.all([
          limits.loginAttempt(email, ctx.ip),
          store.userByEmail(body.email),
          deps.loginCaptcha?.failures.required(email, ctx.ip),
        ]);
        if (captchaNeeded === true) await deps.loginCaptcha!.captcha.verify(body.captcha);
        const passwordOk = await verifyPassword(user?.password_hash, body.password);
        if (user === undefined || !passwordOk || user.disabled) {
          const reason = user === undefined ? 'unknown-email' : !passwordOk ? 'wrong-password' : 'disabled';
          audit(ctx, logger, 'login.failure', { ...(user ? { userId: user.id } : {}), reason });
          await deps.loginCaptcha?.failures.failed(email, ctx.ip);
          throw new HttpProblem(401, { detail: LOGIN_FAILED });
        }
        if (needsRehash(user.password_hash)) await store.setPasswordHash(user.id, await hashPassword(body.password));
        await Promise.all([limits.loginSucceeded(email, ctx.ip), deps.loginCaptcha?.failures.succeeded(email, ctx.ip)]);
        if (deps.twoFactor !== undefined && (await deps.twoFactor.factors.enabled(user.id))) {
          // The password was right, and that is all this answer says: no session exists yet.
          const { factors, steps } = deps.twoFactor;
          const [stepToken, methods] = await Promise.all([steps.issue(user.id), factors.methods(user.id)]);
          ctx.state['outcome'] = 'second_factor_required';
          audit(ctx, logger, 'login.second-factor-required', { userId: user.id });
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { second_factor_required: true, step_token: stepToken, expires_in: steps.ttl, methods };
          return;
        }
        await startLoginSession(ctx, deps, user, body.includeRefreshToken === true, 'password');
      },
    }),
    publicAuth.post(
      '/auth/refresh',
      'Exchange the refresh token (cookie or body) for new tokens; the old one stops working',
      {
        refreshCookie: true,
        middleware: [metrics.refreshes],
        body: RefreshBody,
        ...okAnswer('new access and refresh tokens', TokenResponse),
        errors: { 401: 'missing, expired, revoked or reused refresh token' },
        async handler(ctx, { body }) {
          const fromCookie = body?.refresh_token === undefined;
          const token = body?.refresh_token ?? cookie.read(ctx);
          if (token === undefined || token === '') throw HttpProblem.unauthorized('a refresh token is required');
          const result = await sessions.refresh(token);
          // A rejected token from the body says nothing about the browser's cookie: leave that one alone.
          if (result.outcome !== 'rotated' && fromCookie) cookie.clear(ctx);
          if (result.outcome === 'reused') {
            ctx.state['outcome'] = 'reused';
            audit(ctx, logger, 'refresh.reuse-detected', { userId: result.userId, sessionId: result.sessionId });
            throw HttpProblem.unauthorized('this refresh token was already used; the session has been ended');
          }
          if (result.outcome === 'invalid') throw HttpProblem.unauthorized('the refresh token is not valid');
          audit(ctx, logger, 'refresh', { userId: result.userId, sessionId: result.sessionId, grace: result.grace });
          ctx.body = cookie.tokenResponse(
            ctx,
            result,
            body?.refresh_token !== undefined || body?.includeRefreshToken === true,
          );
        },
      },
    ),
    publicAuth.post('/auth/logout', 'End the current session; its refresh and access tokens stop working at once', {
      refreshCookie: true,
      body: LogoutBody,
      ...noContentAnswer('logged out (also when the session was already gone)'),
      async handler(ctx, { body }) {
        const session = await sessionToEnd(ctx, body?.refresh_token);
        if (session !== undefined) {
          const ended = await store.revokeSession(session.sessionId, session.userId, 'logout');
          if (ended > 0) audit(ctx, logger, 'logout', { userId: session.userId, sessionId: session.sessionId });
        }
        cookie.clear(ctx);
        ctx.status = 204;
      },
    }),
    userAuth.post('/auth/logout-all', 'End every session of the caller', {
      ...noContentAnswer('all sessions ended'),
      async handler(ctx) {
        const claims = verifiedClaims(ctx);
        const count = await store.revokeAllSessions(claims.sub, 'logout-all');
        audit(ctx, logger, 'logout.all', { userId: claims.sub, sessions: count });
        cookie.clear(ctx);
        ctx.status = 204;
      },
    }),
    userAuth.get(
      '/auth/session',
      'Whether the caller’s access token and its session are still good (for the gateway’s edge check)',
      {
        ...okAnswer('the session is live', LiveSession),
        handler(ctx) {
          const claims = verifiedClaims(ctx);
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { sessionId: claims.sid, userId: claims.sub, role: claims.role };
        },
      },
    ),
    userAuth.get('/auth/sessions', 'The caller’s active sessions', {
      ...okAnswer('sessions, newest use first', SessionList),
      links: {
        endFirstSession: { operationId: 'deleteAuthSessionsById', parameters: { id: '$response.body#/sessions/0/id' } },
      },
      async handler(ctx) {
        const claims = verifiedClaims(ctx);
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
    userAuth.delete('/auth/sessions/:id', 'End one of the caller’s sessions', {
      ...noContentAnswer('ended'),
      errors: { 404: 'no such session of the caller' },
      async handler(ctx) {
        const claims = verifiedClaims(ctx);
        const id = Uuid.safeParse(ctx.params['id']);
        const ended = id.success ? await store.revokeSession(id.data, claims.sub, 'revoked-by-user') : 0;
        if (ended === 0) throw HttpProblem.notFound('no such session');
        audit(ctx, logger, 'session.revoked', { userId: claims.sub, sessionId: id.data });
        ctx.status = 204;
      },
    }),
  ];
}
