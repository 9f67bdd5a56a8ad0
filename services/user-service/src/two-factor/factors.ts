import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { type RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpProblem, type Logger } from '@cf/kit';
import type { TwoFactorStore } from '../db/two-factor.ts';
import { postgresLimiter } from '../limiter-store.ts';
import type { Passkeys } from './passkeys.ts';
import { newRecoveryCodes, normalizeRecoveryCode, recoveryCodeDigest } from './recovery-codes.ts';
import type { SecretCipher } from './secret-cipher.ts';
import { newTotpEnrolment, totpStep, type TotpEnrolment } from './totp.ts';

const PROBLEM_BASE = 'https://content-factory.local/problems/second-factor/';

export type FactorRefusal = 'required' | 'wrong' | 'not-enrolled';

const REFUSALS: Record<FactorRefusal, string> = {
  required: 'confirm with a second factor: an authenticator code, a recovery code or a passkey',
  wrong: 'the code or passkey was not accepted',
  'not-enrolled': 'two-factor authentication is not set up for this account',
};

/** A refused second factor: 400 with `…/problems/second-factor/<reason>`. */
export function factorProblem(reason: FactorRefusal): HttpProblem {
  return new HttpProblem(400, { detail: REFUSALS[reason], type: `${PROBLEM_BASE}${reason}` });
}

/** One second factor as a client presents it: exactly one of the three is used (first present wins). */
export interface FactorProof {
  /** A 6-digit TOTP code. */
  code?: string | undefined;
  recoveryCode?: string | undefined;
  /** A WebAuthn assertion (`@simplewebauthn/browser`'s `startAuthentication` result). */
  passkey?: AuthenticationResponseJSON | undefined;
}

export type FactorKind = 'totp' | 'recovery-code' | 'passkey';

export interface TwoFactorSettings {
  /** The `issuer` of otpauth URIs (PRODUCT_NAME). */
  issuer: string;
  /** Wrong second-factor attempts per user per `windowSeconds` before 429. */
  attemptsPerUser: number;
  windowSeconds: number;
  /** Milliseconds since the epoch; injected by tests to move the TOTP clock without sleeping. */
  now?: () => number;
}

/**
 * TOTP, recovery codes and passkeys of one user, as one service: enrolment, proof checking (rate limited per user
 * in PostgreSQL), disabling. The TOTP secret is decrypted only to check a code and never logged.
 */
export class TwoFactor {
  readonly store: TwoFactorStore;
  readonly passkeys: Passkeys;
  private readonly cipher: SecretCipher;
  private readonly settings: TwoFactorSettings;
  private readonly attempts: RateLimiterPostgres;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(
    store: TwoFactorStore,
    passkeys: Passkeys,
    cipher: SecretCipher,
    settings: TwoFactorSettings,
    logger: Logger,
  ) {
    this.store = store;
    this.passkeys = passkeys;
    this.cipher = cipher;
    this.settings = settings;
    this.logger = logger;
    this.now = settings.now ?? Date.now;
    this.attempts = postgresLimiter(store.sequelize, {
      keyPrefix: 'second-factor-user',
      points: settings.attemptsPerUser,
      duration: settings.windowSeconds,
    });
  }

  /** Whether a login of this user needs a second factor: a confirmed TOTP or any passkey. */
  async enabled(userId: string): Promise<boolean> {
    const [totp, passkeys] = await Promise.all([this.store.totp(userId), this.store.passkeys(userId)]);
    return totp?.confirmed_at != null || passkeys.length > 0;
  }

  async methods(userId: string): Promise<FactorKind[]> {
    const [totp, passkeys, codes] = await Promise.all([
      this.store.totp(userId),
      this.store.passkeys(userId),
      this.store.recoveryCodesLeft(userId),
    ]);
    return [
      ...(totp?.confirmed_at != null ? (['totp'] as const) : []),
      ...(codes > 0 ? (['recovery-code'] as const) : []),
      ...(passkeys.length > 0 ? (['passkey'] as const) : []),
    ];
  }

  /** Starts TOTP enrolment; 409 when TOTP is already confirmed (disable it first). */
  async enrolTotp(userId: string, account: string): Promise<TotpEnrolment> {
    const enrolment = await newTotpEnrolment(this.settings.issuer, account);
    const stored = await this.store.startTotp(userId, await this.cipher.encrypt(enrolment.secret));
    if (!stored) throw HttpProblem.conflict('an authenticator app is already set up; remove it first');
    return enrolment;
  }

  /**
   * Confirms enrolment with a first code. Returns fresh recovery codes when this makes 2FA enabled (the user had no
   * codes left), else an empty list.
   */
  async confirmTotp(userId: string, code: string): Promise<string[]> {
    const row = await this.store.totp(userId);
    if (row === undefined) throw factorProblem('not-enrolled');
    if (row.confirmed_at !== null) throw HttpProblem.conflict('the authenticator app is already confirmed');
    await this.limited(userId, async () => this.checkTotp(userId, code, true));
    return this.recoveryCodesIfNone(userId);
  }

  /** New recovery codes for a user without unused ones (their first factor): shown once, stored hashed. */
  async recoveryCodesIfNone(userId: string): Promise<string[]> {
    if ((await this.store.recoveryCodesLeft(userId)) > 0) return [];
    return this.regenerateRecoveryCodes(userId);
  }

  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.store.replaceRecoveryCodes(
      userId,
      codes.map((code) => recoveryCodeDigest(userId, code)),
    );
    return codes;
  }

  private async checkTotp(userId: string, code: string, confirming: boolean): Promise<boolean> {
    const row = await this.store.totp(userId);
    if (row === undefined || (row.confirmed_at === null && !confirming)) return false;
    const secret = await this.cipher.decrypt(row.secret_ciphertext);
    const after = row.last_used_step === null ? undefined : Number(row.last_used_step);
    const step = totpStep(secret, code.trim(), this.now(), after);
    return step !== undefined && this.store.useTotpStep(userId, step, confirming);
  }

  /** Runs one attempt under the per-user limit: 429 once exhausted; a success clears the count. */
  private async limited(userId: string, attempt: () => Promise<boolean>): Promise<void> {
    try {
      await this.attempts.consume(userId);
    } catch (result) {
      if (result instanceof RateLimiterRes) {
        throw HttpProblem.tooManyRequests(
          result.msBeforeNext / 1000,
          'too many second-factor attempts; try again later',
        );
      }
      this.logger.error({ err: result, limiter: 'second-factor-user' }, 'rate limiter failed');
      throw HttpProblem.unavailable('rate limiting is unavailable; try again shortly', 5);
    }
    if (!(await attempt())) throw factorProblem('wrong');
    await this.attempts.delete(userId).catch((error: unknown) => {
      this.logger.error({ err: error, limiter: 'second-factor-user' }, 'rate limiter failed to clear a counter');
    });
  }

  /**
   * Checks a fresh second factor of `userId` (login step or re-authentication); returns which kind it was.
   * Throws 400 `required`/`wrong`, or 429 after `attemptsPerUser` failures in the window.
   */
  async prove(userId: string, proof: FactorProof, purpose: 'second-factor' | 'reauthenticate'): Promise<FactorKind> {
    if (proof.code !== undefined && proof.code !== '') {
      await this.limited(userId, () => this.checkTotp(userId, proof.code!, false));
      return 'totp';
    }
    if (proof.recoveryCode !== undefined && proof.recoveryCode !== '') {
      const normalized = normalizeRecoveryCode(proof.recoveryCode);
      await this.limited(userId, async () =>
        normalized === undefined ? false : this.store.useRecoveryCode(userId, recoveryCodeDigest(userId, normalized)),
      );
      return 'recovery-code';
    }
    if (proof.passkey !== undefined) {
      const passkey = proof.passkey;
      await this.limited(
        userId,
        async () => (await this.passkeys.verifyAuthentication(purpose, userId, passkey)) !== undefined,
      );
      return 'passkey';
    }
    throw factorProblem('required');
  }

  /** Removes every factor and recovery code of the user (2FA off). The caller has checked a fresh factor. */
  async disable(userId: string): Promise<void> {
    await this.store.sequelize.transaction(async (transaction) => {
      await this.store.deleteTotp(userId, transaction);
      await this.store.deletePasskeys(userId, transaction);
      await this.store.deleteRecoveryCodes(userId, transaction);
    });
  }

  /** After a factor was removed: with none left, the recovery codes go too (they would be a factor on their own). */
  async dropCodesIfNoFactor(userId: string): Promise<void> {
    if (!(await this.enabled(userId))) await this.store.deleteRecoveryCodes(userId);
  }
}
