import { randomUUID } from 'node:crypto';
import { generateSync } from 'otplib';
import { call, registerAccount, type Account } from './fixture.ts';

/** A TOTP code for `secret` at `offsetSteps` 30-second steps from now (RFC 6238, SHA-1, 6 digits). */
export function totpCode(secret: string, offsetSteps = 0, nowMs = Date.now()): string {
  return generateSync({ secret, epoch: Math.floor(nowMs / 1000) + offsetSteps * 30, period: 30 });
}

export interface TwoFactorAccount extends Account {
  secret: string;
  recoveryCodes: string[];
  /** The code that confirmed enrolment (spent: a replay of it must be refused, whatever step it is now). */
  confirmedCode: string;
}

/** A new account with an authenticator app set up and confirmed (its code for the current step is spent). */
export async function accountWithTotp(url: string, ip: string): Promise<TwoFactorAccount> {
  const account = await registerAccount(
    url,
    ip,
    `tf-${randomUUID().slice(0, 8)}@example.org`,
    `two factor ${randomUUID()}`,
  );
  const enrolled = await call(url, 'POST', '/auth/two-factor/totp', { token: account.accessToken, ip });
  if (enrolled.status !== 201) throw new Error(`enrol: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
  const secret = enrolled.body['secret'] as string;
  const confirmedCode = totpCode(secret);
  const confirmed = await call(url, 'POST', '/auth/two-factor/totp/confirm', {
    token: account.accessToken,
    ip,
    body: { code: confirmedCode },
  });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
  return { ...account, secret, confirmedCode, recoveryCodes: confirmed.body['recoveryCodes'] as string[] };
}

/** POST /auth/login; the answer as is. */
export function login(url: string, account: Account, ip: string, extra: Record<string, unknown> = {}) {
  return call(url, 'POST', '/auth/login', { body: { email: account.email, password: account.password, ...extra }, ip });
}

/** Logs in with the password and returns the step token; throws unless the answer is the second-factor step. */
export async function stepToken(url: string, account: Account, ip: string): Promise<string> {
  const response = await login(url, account, ip);
  if (response.body['second_factor_required'] !== true) {
    throw new Error(`expected a second-factor step: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body['step_token'] as string;
}

/**
 * A fresh account with TOTP enrolled, registered from `ip` and logged in from there with its password: the account
 * and the step token that login answered, for a test of the second-factor step.
 */
export async function atSecondFactor(url: string, ip: string): Promise<{ account: TwoFactorAccount; step: string }> {
  const account = await accountWithTotp(url, ip);
  return { account, step: await stepToken(url, account, ip) };
}

export function secondFactor(url: string, ip: string, body: Record<string, unknown>) {
  return call(url, 'POST', '/auth/login/second-factor', { body, ip });
}
