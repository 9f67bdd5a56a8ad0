import { HttpProblem, okAnswer, operation, operationGroup, type Operation } from '@cf/kit';
import { audit } from '../audit.ts';
import { TokenResponse } from '../routes/responses.ts';
import { startLoginSession } from '../routes/auth.ts';
import type { RouteDeps } from '../routes/deps.ts';
import { factorProblem } from './factors.ts';
import { stepProblem } from './login-steps.ts';
import { PasswordlessBody, SecondFactorBody, StepTokenBody, WebAuthnOptions } from './schemas.ts';

const STEP_ERRORS = {
  400: 'the factor was missing or not accepted (`…/problems/second-factor/required|wrong`); the step stays open',
  401: 'the step token is not valid, expired or already completed (`…/problems/login-step/invalid|expired|used`)',
  429: 'too many wrong second factors for this account',
  503: 'rate limiting or Vault is unavailable',
} as const;

/**
 * The second half of a login with two-factor authentication, and passwordless login with a passkey (issue 18).
 * Each ends exactly as a plain login does: a session, its access token and the refresh cookie.
 */
export function twoFactorLoginRoutes(deps: RouteDeps): Operation[] {
  const twoFactor = deps.twoFactor;
  if (twoFactor === undefined) return [];
  const { factors, steps } = twoFactor;
  const publicAuth = operationGroup({ auth: 'none', tags: ['auth'] });
  return [
    operation({
      method: 'post',
      path: '/auth/login/second-factor',
      middleware: [deps.metrics.logins],
      summary:
        'Complete a login that answered `second_factor_required`, with a TOTP code, a recovery code or a passkey',
      auth: 'none',
      tags: ['auth'],
      body: SecondFactorBody,
      ...okAnswer('the session, as a plain login answers', TokenResponse),
      errors: STEP_ERRORS,
      async handler(ctx, { body }) {
        const step = await steps.open(body.step_token);
        const user = await deps.store.userById(step.user_id);
        if (user === undefined || user.disabled) throw stepProblem('invalid');
        const kind = await factors.prove(user.id, body, 'second-factor').catch((error: unknown) => {
          if (error instanceof HttpProblem && error.status === 400) {
            audit(ctx, deps.logger, 'login.failure', { userId: user.id, reason: 'wrong-second-factor' });
          }
          throw error;
        });
        await steps.complete(step);
        if (kind === 'recovery-code') {
          const left = await factors.store.recoveryCodesLeft(user.id);
          audit(ctx, deps.logger, 'two-factor.recovery-code-used', { userId: user.id, left });
        }
        await startLoginSession(ctx, deps, user, body.includeRefreshToken === true, kind);
      },
    }),
    publicAuth.post(
      '/auth/login/passkey-options',
      'WebAuthn request options for completing a login step with one of the account’s passkeys',
      {
        body: StepTokenBody,
        ...okAnswer('PublicKeyCredentialRequestOptionsJSON', WebAuthnOptions),
        errors: { 401: STEP_ERRORS[401] },
        async handler(ctx, { body }) {
          const step = await steps.open(body.step_token);
          ctx.set('Cache-Control', 'no-store');
          ctx.body = await factors.passkeys.authenticationOptions('second-factor', step.user_id);
        },
      },
    ),
    publicAuth.post(
      '/auth/passkey/options',
      'WebAuthn request options for a passwordless login (any discoverable passkey of this site)',
      {
        ...okAnswer('PublicKeyCredentialRequestOptionsJSON', WebAuthnOptions),
        async handler(ctx) {
          // Per IP like the other unauthenticated auth routes: every answer stores a challenge row. The 429 and 503
          // every route may answer are documented by the kit already.
          await deps.limits.passkeyOptions(ctx.ip);
          ctx.set('Cache-Control', 'no-store');
          ctx.body = await factors.passkeys.authenticationOptions('passwordless', null);
        },
      },
    ),
    publicAuth.post('/auth/passkey/login', 'Log in with a passkey alone (user-verified: it is both factors)', {
      middleware: [deps.metrics.logins],
      body: PasswordlessBody,
      ...okAnswer('the session, as a plain login answers', TokenResponse),
      errors: { 400: 'the passkey was not accepted (`…/problems/second-factor/wrong`)' },
      async handler(ctx, { body }) {
        const proved = await factors.passkeys.verifyAuthentication('passwordless', null, body.passkey);
        const user = proved === undefined ? undefined : await deps.store.userById(proved.userId);
        if (user === undefined || user.disabled) {
          audit(ctx, deps.logger, 'login.failure', { reason: 'passkey-refused' });
          throw factorProblem('wrong');
        }
        await startLoginSession(ctx, deps, user, body.includeRefreshToken === true, 'passwordless');
      },
    }),
  ];
}
