import { msg, str } from '@lit/localize';
import type { ApiProblem } from '../../api/problem.ts';
import { formatNumber } from '../../i18n/locale.ts';
import { problemText } from '../../i18n/problems.ts';

// The admin console's words for what user-service records (its `AuditEvent` names, reason codes, login methods):
// people read these, never the internal names or ids. Russian: ./ru.ts.

/** An audit event name (`login.failure`, …) in words. */
export function eventLabel(event: string): string {
  switch (event) {
    case 'register':
      return msg('Account created', { id: 'adm.ev.register' });
    case 'login.success':
      return msg('Logged in', { id: 'adm.ev.login' });
    case 'login.failure':
      return msg('Login refused', { id: 'adm.ev.login-failure' });
    case 'login.second-factor-required':
      return msg('Password accepted, second step asked', { id: 'adm.ev.second-step' });
    case 'logout':
      return msg('Logged out', { id: 'adm.ev.logout' });
    case 'logout.all':
      return msg('Logged out everywhere', { id: 'adm.ev.logout-all' });
    case 'refresh':
      return msg('Session renewed', { id: 'adm.ev.refresh' });
    case 'refresh.reuse-detected':
      return msg('Stolen session suspected, session ended', { id: 'adm.ev.reuse' });
    case 'session.revoked':
      return msg('Signed out a device', { id: 'adm.ev.session-revoked' });
    case 'password.changed':
      return msg('Password changed', { id: 'adm.ev.password-changed' });
    case 'password.reset-requested':
      return msg('Password reset asked for', { id: 'adm.ev.reset-requested' });
    case 'password.reset':
      return msg('Password reset', { id: 'adm.ev.reset' });
    case 'email.verification-sent':
      return msg('Verification email sent', { id: 'adm.ev.verification-sent' });
    case 'email.verified':
      return msg('Email address verified', { id: 'adm.ev.verified' });
    case 'admin.user-updated':
      return msg('Changed by an administrator', { id: 'adm.ev.admin-updated' });
    case 'admin.sessions-ended':
      return msg('Signed out by an administrator', { id: 'adm.ev.admin-sessions' });
    case 'two-factor.enabled':
      return msg('Two-step verification turned on', { id: 'adm.ev.2fa-on' });
    case 'two-factor.disabled':
      return msg('Two-step verification turned off', { id: 'adm.ev.2fa-off' });
    case 'two-factor.recovery-code-used':
      return msg('Recovery code used', { id: 'adm.ev.recovery-used' });
    case 'two-factor.recovery-codes-regenerated':
      return msg('New recovery codes made', { id: 'adm.ev.recovery-new' });
    case 'totp.enrolled':
      return msg('Authenticator app added', { id: 'adm.ev.totp-on' });
    case 'totp.removed':
      return msg('Authenticator app removed', { id: 'adm.ev.totp-off' });
    case 'passkey.added':
      return msg('Passkey added', { id: 'adm.ev.passkey-on' });
    case 'passkey.removed':
      return msg('Passkey removed', { id: 'adm.ev.passkey-off' });
    default:
      return msg('Other account event', { id: 'adm.ev.other' });
  }
}

function reasonLabel(reason: string): string {
  switch (reason) {
    case 'unknown-email':
      return msg('no account with this email', { id: 'adm.why.unknown-email' });
    case 'wrong-password':
      return msg('wrong password', { id: 'adm.why.wrong-password' });
    case 'disabled':
      return msg('account disabled', { id: 'adm.why.disabled' });
    case 'wrong-second-factor':
      return msg('wrong second-step code', { id: 'adm.why.second-factor' });
    case 'passkey-refused':
      return msg('passkey not accepted', { id: 'adm.why.passkey' });
    default:
      return msg('other reason', { id: 'adm.why.other' });
  }
}

function methodLabel(method: string): string {
  switch (method) {
    case 'password':
      return msg('with password', { id: 'adm.how.password' });
    case 'totp':
      return msg('with authenticator app', { id: 'adm.how.totp' });
    case 'recovery-code':
      return msg('with a recovery code', { id: 'adm.how.recovery' });
    case 'passkey':
    case 'passwordless':
      return msg('with a passkey', { id: 'adm.how.passkey' });
    default:
      return '';
  }
}

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
  if (typeof reason === 'string') lines.push(reasonLabel(reason));
  if (typeof method === 'string' && methodLabel(method) !== '') lines.push(methodLabel(method));
  if (typeof role === 'string') lines.push(msg(str`role: ${roleLabel(role)}`, { id: 'adm.d.role' }));
  if (disabled === true) lines.push(msg('account disabled', { id: 'adm.why.disabled' }));
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
