import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Logger } from '@cf/kit';
import type { ChallengePurpose, PasskeyRow, TwoFactorStore } from '../db/two-factor.ts';

export interface RelyingParty {
  /** Shown by the authenticator (PRODUCT_NAME). */
  name: string;
  /** The WebAuthn RP ID: PUBLIC_URL's host name. */
  id: string;
  /** PUBLIC_URL's origin; assertions made for any other origin are refused. */
  origin: string;
  /** How long a ceremony's challenge may be answered, seconds. */
  challengeSeconds: number;
}

/** The relying party a public URL names (WebAuthn §5.1.4.1: RP ID is the origin's effective domain). */
export function relyingPartyFor(publicUrl: string, name: string, challengeSeconds = 300): RelyingParty {
  const url = new URL(publicUrl);
  return { name, id: url.hostname, origin: url.origin, challengeSeconds };
}

function uuidBytes(id: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(id.replace(/-/g, ''), 'hex'));
}

/**
 * WebAuthn ceremonies through @simplewebauthn/server. Every challenge is stored (PostgreSQL, with expiry) and
 * consumed by the verification that names it, so it holds once across replicas. Passkeys are discoverable
 * (resident) credentials, so the same passkey serves as a second factor and for passwordless login.
 */
export class Passkeys {
  private readonly store: TwoFactorStore;
  private readonly rp: RelyingParty;
  private readonly logger: Logger | undefined;

  constructor(store: TwoFactorStore, rp: RelyingParty, logger?: Logger) {
    this.store = store;
    this.rp = rp;
    this.logger = logger;
  }

  /** Why a ceremony did not verify, for operators (the library's message names a check, never a secret). */
  private refused(ceremony: string, error: unknown): undefined {
    this.logger?.warn({ ceremony, reason: error instanceof Error ? error.message : String(error) }, 'passkey refused');
    return undefined;
  }

  async registrationOptions(
    user: { id: string; email: string; displayName: string | null },
    existing: PasskeyRow[],
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: user.email,
      userID: uuidBytes(user.id),
      userDisplayName: user.displayName ?? user.email,
      timeout: this.rp.challengeSeconds * 1000,
      attestationType: 'none',
      excludeCredentials: existing.map((row) => ({ id: row.id, transports: row.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    await this.store.saveChallenge(options.challenge, user.id, 'register', this.rp.challengeSeconds);
    return options;
  }

  /** The verified new credential, or undefined when the response does not verify (or its challenge is spent). */
  async verifyRegistration(userId: string, response: RegistrationResponseJSON) {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: (challenge) => this.store.consumeChallenge(challenge, 'register', userId),
      expectedOrigin: this.rp.origin,
      expectedRPID: this.rp.id,
      requireUserVerification: false,
    }).catch((error: unknown) => this.refused('registration', error));
    if (result?.verified !== true) return undefined;
    const { credential } = result.registrationInfo;
    return {
      id: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
    };
  }

  /**
   * Options for an assertion. With `userId` (second factor, re-authentication) the user's own credentials are
   * allowed; without (passwordless) none is named and the authenticator offers its discoverable ones.
   */
  async authenticationOptions(
    purpose: Exclude<ChallengePurpose, 'register'>,
    userId: string | null,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const allowed = userId === null ? [] : await this.store.passkeys(userId);
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      timeout: this.rp.challengeSeconds * 1000,
      allowCredentials: allowed.map((row) => ({ id: row.id, transports: row.transports })),
      userVerification: purpose === 'passwordless' ? 'required' : 'preferred',
    });
    await this.store.saveChallenge(options.challenge, userId, purpose, this.rp.challengeSeconds);
    return options;
  }

  /**
   * The user a verified assertion proves, or undefined. `userId` given: the credential must be theirs.
   * Passwordless assertions need user verification (the passkey is both factors then).
   */
  async verifyAuthentication(
    purpose: Exclude<ChallengePurpose, 'register'>,
    userId: string | null,
    response: AuthenticationResponseJSON,
  ): Promise<{ userId: string; credentialId: string } | undefined> {
    const row = await this.store.passkey(response.id);
    if (row === undefined) return this.refused(purpose, new Error('unknown credential'));
    if (userId !== null && row.user_id !== userId)
      return this.refused(purpose, new Error('credential of another user'));
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(uuidBytes(row.user_id)).toString('base64url')) {
      return this.refused(purpose, new Error('user handle does not match the credential'));
    }
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: (challenge) => this.store.consumeChallenge(challenge, purpose, userId),
      expectedOrigin: this.rp.origin,
      expectedRPID: this.rp.id,
      credential: { id: row.id, publicKey: new Uint8Array(row.public_key), counter: Number(row.counter) },
      requireUserVerification: purpose === 'passwordless',
    }).catch((error: unknown) => this.refused(purpose, error));
    if (result?.verified !== true) return undefined;
    await this.store.passkeyUsed(row.id, result.authenticationInfo.newCounter);
    return { userId: row.user_id, credentialId: row.id };
  }
}
