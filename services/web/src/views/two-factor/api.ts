import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import type { AuthenticationResponseJSON } from '@simplewebauthn/browser';
import { api, settle } from '../../api/client.ts';
import { session } from '../../api/session.ts';

/**
 * A WebAuthn response as the API document types it: the extension outputs as a plain record (the library's
 * interface has no index signature, the JSON it stands for is the same).
 */
function wire<T extends { clientExtensionResults: object }>(
  response: T,
): Omit<T, 'clientExtensionResults'> & { clientExtensionResults: Record<string, unknown> } {
  return { ...response, clientExtensionResults: response.clientExtensionResults as Record<string, unknown> };
}

type PasskeyAssertion = ReturnType<typeof wire<AuthenticationResponseJSON>>;

/** One fresh second factor: exactly one member is set. */
export interface Proof {
  code?: string;
  recoveryCode?: string;
  passkey?: PasskeyAssertion;
}

// WebAuthn options travel as the standard's JSON; the document declares them loosely (a record), so they are
// handed to @simplewebauthn/browser as its own types.
type RequestOptions = Parameters<typeof startAuthentication>[0]['optionsJSON'];
type CreationOptions = Parameters<typeof startRegistration>[0]['optionsJSON'];

/** Completes a login's second step; signed in afterwards. Throws ApiProblem (400 wrong, 401 step gone, 429). */
export async function completeStep(stepToken: string, proof: Proof): Promise<void> {
  const { body } = await settle(() =>
    api.POST('/api/auth/login/second-factor', { body: { step_token: stepToken, ...proof } }),
  );
  await session.signIn(body.access_token);
}

/** Asks the browser for one of the account's passkeys for a login step. */
export async function passkeyForStep(stepToken: string): Promise<PasskeyAssertion> {
  const { body } = await settle(() => api.POST('/api/auth/login/passkey-options', { body: { step_token: stepToken } }));
  return wire(await startAuthentication({ optionsJSON: body as unknown as RequestOptions }));
}

/** Passwordless: any passkey of this site the authenticator holds; signed in afterwards. */
export async function loginWithPasskey(): Promise<void> {
  const { body: options } = await settle(() => api.POST('/api/auth/passkey/options'));
  const passkey = wire(await startAuthentication({ optionsJSON: options as unknown as RequestOptions }));
  const { body } = await settle(() => api.POST('/api/auth/passkey/login', { body: { passkey } }));
  await session.signIn(body.access_token);
}

export interface TwoFactorState {
  enabled: boolean;
  totp: boolean;
  passkeys: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[];
  recoveryCodesLeft: number;
}

export async function twoFactorState(): Promise<TwoFactorState> {
  return session.call(() => api.GET('/api/auth/two-factor'));
}

export async function enrolTotp(): Promise<{ secret: string; otpauthUri: string; qrCode: string }> {
  return session.call(() => api.POST('/api/auth/two-factor/totp'));
}

/** Recovery codes when this turned 2FA on, else an empty list. */
export async function confirmTotp(code: string): Promise<string[]> {
  return (await session.call(() => api.POST('/api/auth/two-factor/totp/confirm', { body: { code } }))).recoveryCodes;
}

/** A passkey assertion for confirming an action in the settings (re-authentication). */
export async function passkeyProof(): Promise<PasskeyAssertion> {
  const options = await session.call(() => api.POST('/api/auth/two-factor/passkey-options'));
  return wire(await startAuthentication({ optionsJSON: options as unknown as RequestOptions }));
}

export async function removeTotp(proof: Proof): Promise<void> {
  await session.call(() => api.POST('/api/auth/two-factor/totp/remove', { body: proof }));
}

export async function disableTwoFactor(proof: Proof): Promise<void> {
  await session.call(() => api.POST('/api/auth/two-factor/disable', { body: proof }));
}

export async function newRecoveryCodes(proof: Proof): Promise<string[]> {
  return (await session.call(() => api.POST('/api/auth/two-factor/recovery-codes', { body: proof }))).recoveryCodes;
}

/** Registers a passkey; recovery codes when this turned 2FA on. */
export async function addPasskey(name: string | undefined): Promise<string[]> {
  const options = await session.call(() => api.POST('/api/auth/two-factor/passkeys/registration-options'));
  const response = wire(await startRegistration({ optionsJSON: options as unknown as CreationOptions }));
  const added = await session.call(() =>
    api.POST('/api/auth/two-factor/passkeys', { body: { response, ...(name ? { name } : {}) } }),
  );
  return added.recoveryCodes;
}

export async function removePasskey(id: string, proof: Proof): Promise<void> {
  await session.call(() => api.POST('/api/auth/two-factor/passkeys/remove', { body: { id, ...proof } }));
}
