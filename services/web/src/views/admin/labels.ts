import { msg, str } from '@lit/localize';
import type { ApiProblem } from '../../api/problem.ts';
import { formatNumber } from '../../i18n/locale.ts';
import { problemText } from '../../i18n/problems.ts';
import { entryFor, phrase, type Phrases } from '../../i18n/code-words.ts';

// The admin console's words for what user-service records (its `AuditEvent` names, reason codes, login methods):
// people read these, never the internal names or ids. Russian: ./ru.ts.

/** Audit event names (`login.failure`, …) in words. */
const events: Phrases = {
  register: phrase('Account created', 'adm.ev.register'),
  'login.success': phrase('Logged in', 'adm.ev.login'),
  'login.failure': phrase('Login refused', 'adm.ev.login-failure'),
  'login.second-factor-required': phrase('Password accepted, second step asked', 'adm.ev.second-step'),
  logout: phrase('Logged out', 'adm.ev.logout'),
  'logout.all': phrase('Logged out everywhere', 'adm.ev.logout-all'),
  refresh: phrase('Session renewed', 'adm.ev.refresh'),
  'refresh.reuse-detected': phrase('Stolen session suspected, session ended', 'adm.ev.reuse'),
  'session.revoked': phrase('Signed out a device', 'adm.ev.session-revoked'),
  'password.changed': phrase('Password changed', 'adm.ev.password-changed'),
  'password.reset-requested': phrase('Password reset asked for', 'adm.ev.reset-requested'),
  'password.reset': phrase('Password reset', 'adm.ev.reset'),
  'email.verification-sent': phrase('Verification email sent', 'adm.ev.verification-sent'),
  'email.verified': phrase('Email address verified', 'adm.ev.verified'),
  'admin.user-updated': phrase('Changed by an administrator', 'adm.ev.admin-updated'),
  'admin.sessions-ended': phrase('Signed out by an administrator', 'adm.ev.admin-sessions'),
  'two-factor.enabled': phrase('Two-step verification turned on', 'adm.ev.2fa-on'),
  'two-factor.disabled': phrase('Two-step verification turned off', 'adm.ev.2fa-off'),
  'two-factor.recovery-code-used': phrase('Recovery code used', 'adm.ev.recovery-used'),
  'two-factor.recovery-codes-regenerated': phrase('New recovery codes made', 'adm.ev.recovery-new'),
  'totp.enrolled': phrase('Authenticator app added', 'adm.ev.totp-on'),
  'totp.removed': phrase('Authenticator app removed', 'adm.ev.totp-off'),
  'passkey.added': phrase('Passkey added', 'adm.ev.passkey-on'),
  'passkey.removed': phrase('Passkey removed', 'adm.ev.passkey-off'),
};

/** An audit event name in words. */
export function eventLabel(event: string): string {
  return entryFor(events, event, phrase('Other account event', 'adm.ev.other'))();
}

const accountDisabled = phrase('account disabled', 'adm.why.disabled');

/** Why a login was refused (`details.reason`). */
const reasons: Phrases = {
  'unknown-email': phrase('no account with this email', 'adm.why.unknown-email'),
  'wrong-password': phrase('wrong password', 'adm.why.wrong-password'),
  disabled: accountDisabled,
  'wrong-second-factor': phrase('wrong second-step code', 'adm.why.second-factor'),
  'passkey-refused': phrase('passkey not accepted', 'adm.why.passkey'),
};

const passkeyMethod = phrase('with a passkey', 'adm.how.passkey');

/** How a login was proved (`details.method`); a method not named here goes unsaid. */
const methods: Phrases = {
  password: phrase('with password', 'adm.how.password'),
  totp: phrase('with authenticator app', 'adm.how.totp'),
  'recovery-code': phrase('with a recovery code', 'adm.how.recovery'),
  passkey: passkeyMethod,
  passwordless: passkeyMethod,
};

export function roleLabel(role: string): string {
  return role === 'admin' ? msg('Administrator', { id: 'adm.role.admin' }) : msg('User', { id: 'adm.role.user' });
}

/**
 * The facts of an event worth reading, in words (reason, method, new role, sessions ended, …); internal
 * values such as session ids are left out.
 */
export function eventDetails(details: Record<string, string | number | boolean | null>): string[] {
  const lines: string[] = [];
  const { reason, method, role, disabled, endedSessions, sessions, label, left } = details;
  if (typeof reason === 'string') lines.push(entryFor(reasons, reason, phrase('other reason', 'adm.why.other'))());
  const how = typeof method === 'string' ? entryFor(methods, method, undefined)?.() : undefined;
  if (how !== undefined) lines.push(how);
  if (typeof role === 'string') lines.push(msg(str`role: ${roleLabel(role)}`, { id: 'adm.d.role' }));
  if (disabled === true) lines.push(accountDisabled());
  if (disabled === false) lines.push(msg('account enabled', { id: 'adm.d.enabled' }));
  const ended = typeof endedSessions === 'number' ? endedSessions : typeof sessions === 'number' ? sessions : undefined;
  if (ended !== undefined) lines.push(msg(str`sessions ended: ${formatNumber(ended)}`, { id: 'adm.d.ended' }));
  if (typeof label === 'string') lines.push(msg(str`passkey “${label}”`, { id: 'adm.d.passkey' }));
  if (typeof left === 'number') lines.push(msg(str`recovery codes left: ${formatNumber(left)}`, { id: 'adm.d.left' }));
  return lines;
}

/** A refused admin action in words: the console's own 409 (acting on oneself), else the catalogue's. */
export function adminProblemText(problem: ApiProblem): string {
  if (problem.status === 409)
    return msg('You cannot demote, disable or sign out your own account here.', { id: 'adm.p.self' });
  return problemText(problem, 'load');
}
