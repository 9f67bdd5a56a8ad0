import type { Context } from 'koa';
import { z } from 'zod';
import {
  HttpProblem,
  noContentAnswer,
  okAnswer,
  operationGroup,
  verifiedClaims,
  type ErrorStatus,
  type Operation,
  type Success,
} from '@cf/kit';
import { audit } from '../audit.ts';
import { callerUser } from '../routes/caller.ts';
import type { RouteDeps } from '../routes/deps.ts';
import type { FactorKind, FactorProof, TwoFactor } from './factors.ts';
import {
  FactorProofBody,
  PasskeyAdded,
  PasskeyRegisterBody,
  RecoveryCodes,
  TotpConfirmBody,
  TotpEnrolmentBody,
  TwoFactorState,
  WebAuthnOptions,
} from './schemas.ts';

const PROOF_ERRORS = {
  400: 'no fresh second factor, or one not accepted (`…/problems/second-factor/required|wrong|not-enrolled`)',
  429: 'too many wrong second factors for this account',
} as const;

const RemovePasskeyBody = FactorProofBody.extend({ id: z.string().max(1400) });

/** The caller's second factors (issue 18): TOTP enrolment, passkeys, recovery codes, disabling. */
export function twoFactorRoutes(deps: RouteDeps): Operation[] {
  if (deps.twoFactor === undefined) return [];
  const factors: TwoFactor = deps.twoFactor.factors;
  const { logger, store } = deps;

  /** A fresh factor of the caller (re-authentication), audited when it was a recovery code. */
  const reauthenticate = async (ctx: Context, userId: string, proof: FactorProof): Promise<FactorKind> => {
    if (!(await factors.enabled(userId)))
      throw new HttpProblem(400, {
        detail: 'two-factor authentication is not set up for this account',
        type: 'https://content-factory.local/problems/second-factor/not-enrolled',
      });
    const kind = await factors.prove(userId, proof, 'reauthenticate');
    if (kind === 'recovery-code') audit(ctx, logger, 'two-factor.recovery-code-used', { userId });
    return kind;
  };

  const twoFactorRoutes = operationGroup({ auth: 'user', tags: ['two-factor'] });

  /**
   * A POST that changes the caller's factors and so needs a fresh second factor first: its body is a
   * `FactorProof` (or `body`, which adds to one), it answers the proof's errors besides `errors`, and `run` gets
   * the caller's id only once the proof was accepted (audited when it was a recovery code).
   */
  const withFreshFactor = <Body extends FactorProof = FactorProof>(
    path: string,
    summary: string,
    spec: {
      body?: z.ZodType<Body>;
      success: Success;
      errors?: Partial<Record<ErrorStatus, string>>;
      run(ctx: Context, userId: string, body: Body): Promise<void>;
    },
  ): Operation =>
    twoFactorRoutes.post<Body>(path, summary, {
      // Without its own body, Body is FactorProof (the default above): the proof alone.
      body: spec.body ?? (FactorProofBody as unknown as z.ZodType<Body>),
      success: spec.success,
      errors: { ...PROOF_ERRORS, ...spec.errors },
      async handler(ctx, { body }) {
        const userId = verifiedClaims(ctx).sub;
        await reauthenticate(ctx, userId, body);
        await spec.run(ctx, userId, body);
      },
    });

  const state = async (userId: string) => {
    const [totp, passkeys, recoveryCodesLeft] = await Promise.all([
      factors.store.totp(userId),
      factors.store.passkeys(userId),
      factors.store.recoveryCodesLeft(userId),
    ]);
    return {
      enabled: totp?.confirmed_at != null || passkeys.length > 0,
      totp: totp?.confirmed_at != null,
      passkeys: passkeys.map((row) => ({
        id: row.id,
        name: row.name,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
      })),
      recoveryCodesLeft,
    };
  };

  return [
    twoFactorRoutes.get('/auth/two-factor', 'The caller’s second factors', {
      ...okAnswer('whether 2FA is on, and which factors', TwoFactorState),
      async handler(ctx) {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await state(verifiedClaims(ctx).sub);
      },
    }),
    twoFactorRoutes.post(
      '/auth/two-factor/totp',
      'Start setting up an authenticator app: a new secret, its otpauth URI and QR code',
      {
        success: { status: 201, description: 'shown once; confirm with a first code', schema: TotpEnrolmentBody },
        errors: { 409: 'an authenticator app is already set up', 503: 'Vault is unavailable' },
        async handler(ctx) {
          const user = await callerUser(store, ctx);
          ctx.set('Cache-Control', 'no-store');
          ctx.status = 201;
          ctx.body = await factors.enrolTotp(user.id, user.email);
        },
      },
    ),
    twoFactorRoutes.post(
      '/auth/two-factor/totp/confirm',
      'Finish setting up the authenticator app with its first code',
      {
        body: TotpConfirmBody,
        ...okAnswer('recovery codes when 2FA was just turned on', RecoveryCodes),
        errors: { ...PROOF_ERRORS, 409: 'already confirmed' },
        async handler(ctx, { body }) {
          const userId = verifiedClaims(ctx).sub;
          const recoveryCodes = await factors.confirmTotp(userId, body.code);
          audit(ctx, logger, 'totp.enrolled', { userId });
          if (recoveryCodes.length > 0) audit(ctx, logger, 'two-factor.enabled', { userId, factor: 'totp' });
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { recoveryCodes };
        },
      },
    ),
    withFreshFactor('/auth/two-factor/totp/remove', 'Remove the authenticator app (needs a fresh second factor)', {
      ...noContentAnswer('removed; with no factor left, the recovery codes are gone too'),
      async run(ctx, userId) {
        await factors.store.deleteTotp(userId);
        await factors.dropCodesIfNoFactor(userId);
        audit(ctx, logger, 'totp.removed', { userId });
        if (!(await factors.enabled(userId))) audit(ctx, logger, 'two-factor.disabled', { userId });
        ctx.status = 204;
      },
    }),
    withFreshFactor(
      '/auth/two-factor/disable',
      'Turn two-factor authentication off: every factor and recovery code goes (needs a fresh factor)',
      {
        ...noContentAnswer('off'),
        async run(ctx, userId) {
          await factors.disable(userId);
          audit(ctx, logger, 'two-factor.disabled', { userId });
          ctx.status = 204;
        },
      },
    ),
    withFreshFactor(
      '/auth/two-factor/recovery-codes',
      'Replace the recovery codes with 10 new ones (needs a fresh factor); the old ones stop working',
      {
        ...okAnswer('the new codes, shown once', RecoveryCodes),
        async run(ctx, userId) {
          const recoveryCodes = await factors.regenerateRecoveryCodes(userId);
          audit(ctx, logger, 'two-factor.recovery-codes-regenerated', { userId });
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { recoveryCodes };
        },
      },
    ),
    twoFactorRoutes.post(
      '/auth/two-factor/passkey-options',
      'WebAuthn request options for confirming an action with one of the caller’s passkeys',
      {
        ...okAnswer('PublicKeyCredentialRequestOptionsJSON', WebAuthnOptions),
        async handler(ctx) {
          ctx.set('Cache-Control', 'no-store');
          ctx.body = await factors.passkeys.authenticationOptions('reauthenticate', verifiedClaims(ctx).sub);
        },
      },
    ),
    twoFactorRoutes.post(
      '/auth/two-factor/passkeys/registration-options',
      'WebAuthn creation options for adding a passkey',
      {
        ...okAnswer('PublicKeyCredentialCreationOptionsJSON', WebAuthnOptions),
        async handler(ctx) {
          const user = await callerUser(store, ctx);
          const existing = await factors.store.passkeys(user.id);
          ctx.set('Cache-Control', 'no-store');
          ctx.body = await factors.passkeys.registrationOptions(
            { id: user.id, email: user.email, displayName: user.display_name },
            existing,
          );
        },
      },
    ),
    twoFactorRoutes.post('/auth/two-factor/passkeys', 'Add a passkey (second factor and passwordless login)', {
      body: PasskeyRegisterBody,
      success: {
        status: 201,
        description: 'the passkey; recovery codes when 2FA was just turned on',
        schema: PasskeyAdded,
      },
      errors: { 400: 'the response did not verify (`…/problems/second-factor/wrong`)', 409: 'already registered' },
      async handler(ctx, { body }) {
        const userId = verifiedClaims(ctx).sub;
        const credential = await factors.passkeys.verifyRegistration(userId, body.response as never);
        if (credential === undefined)
          throw new HttpProblem(400, {
            detail: 'the passkey could not be verified; try again',
            type: 'https://content-factory.local/problems/second-factor/wrong',
          });
        const name = body.name ?? 'Passkey';
        const added = await factors.store.addPasskey({
          id: credential.id,
          user_id: userId,
          public_key: credential.publicKey,
          counter: credential.counter,
          transports: credential.transports,
          name,
        });
        if (!added) throw HttpProblem.conflict('this passkey is already registered');
        const recoveryCodes = await factors.recoveryCodesIfNone(userId);
        audit(ctx, logger, 'passkey.added', { userId, label: name });
        if (recoveryCodes.length > 0) audit(ctx, logger, 'two-factor.enabled', { userId, factor: 'passkey' });
        ctx.set('Cache-Control', 'no-store');
        ctx.status = 201;
        ctx.body = { id: credential.id, name, createdAt: new Date(), lastUsedAt: null, recoveryCodes };
      },
    }),
    withFreshFactor(
      '/auth/two-factor/passkeys/remove',
      'Remove one of the caller’s passkeys (needs a fresh second factor)',
      {
        body: RemovePasskeyBody,
        ...noContentAnswer('removed; with no factor left, the recovery codes are gone too'),
        errors: { 404: 'no such passkey of the caller' },
        async run(ctx, userId, body) {
          if ((await factors.store.deletePasskey(userId, body.id)) === 0) throw HttpProblem.notFound('no such passkey');
          await factors.dropCodesIfNoFactor(userId);
          audit(ctx, logger, 'passkey.removed', { userId });
          if (!(await factors.enabled(userId))) audit(ctx, logger, 'two-factor.disabled', { userId });
          ctx.status = 204;
        },
      },
    ),
  ];
}
