import { msg, str } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { formatNumber } from '../../i18n/locale.ts';
import type { AdminUser } from './api.ts';

/** What an administrator can do to another account, each behind a confirmation dialog. */
export type Action = 'disable' | 'enable' | 'promote' | 'demote' | 'sessions';

/** The actions whose confirm button is red: they take access away. */
export function isDangerous(action: Action): boolean {
  return action === 'disable' || action === 'sessions' || action === 'demote';
}

/** What an action's confirmation dialog asks, and the words of its button and its success toast. */
export function actionText(
  action: Action,
  email: string,
): { title: string; body: string; confirm: string; done: string } {
  switch (action) {
    case 'disable':
      return {
        title: msg(str`Disable ${email}?`, { id: 'adm.disable-title' }),
        body: msg('Every session of this account ends now, and it cannot log in until it is enabled again.', {
          id: 'adm.disable-body',
        }),
        confirm: msg('Disable account', { id: 'adm.disable' }),
        done: msg(str`${email} is disabled.`, { id: 'adm.disabled-done' }),
      };
    case 'enable':
      return {
        title: msg(str`Enable ${email}?`, { id: 'adm.enable-title' }),
        body: msg('The account can log in again.', { id: 'adm.enable-body' }),
        confirm: msg('Enable account', { id: 'adm.enable' }),
        done: msg(str`${email} is enabled.`, { id: 'adm.enabled-done' }),
      };
    case 'promote':
      return {
        title: msg(str`Make ${email} an administrator?`, { id: 'adm.promote-title' }),
        body: msg(
          'Administrators see this console and can disable accounts and change roles. It applies from their next login.',
          {
            id: 'adm.promote-body',
          },
        ),
        confirm: msg('Make administrator', { id: 'adm.promote' }),
        done: msg(str`${email} is now an administrator.`, { id: 'adm.promoted-done' }),
      };
    case 'demote':
      return {
        title: msg(str`Make ${email} a regular user?`, { id: 'adm.demote-title' }),
        body: msg('The account loses access to this console from its next login.', { id: 'adm.demote-body' }),
        confirm: msg('Make regular user', { id: 'adm.demote' }),
        done: msg(str`${email} is now a regular user.`, { id: 'adm.demoted-done' }),
      };
    case 'sessions':
      return {
        title: msg(str`Sign ${email} out everywhere?`, { id: 'adm.sessions-title' }),
        body: msg('Every device of this account is signed out now. The account can log in again.', {
          id: 'adm.sessions-body',
        }),
        confirm: msg('Sign out everywhere', { id: 'adm.sessions' }),
        done: msg(str`${email} is signed out everywhere.`, { id: 'adm.sessions-done' }),
      };
  }
}

/** Second factors in a few words: which ones, or that there are none. */
export function factorsText(factors: AdminUser['secondFactors']): string {
  const parts: string[] = [];
  if (factors.totp) parts.push(msg('authenticator app', { id: 'adm.f.totp' }));
  if (factors.passkeys > 0) parts.push(msg(str`passkeys: ${formatNumber(factors.passkeys)}`, { id: 'adm.f.passkeys' }));
  return parts.length === 0 ? msg('Off', { id: 'adm.f.off' }) : parts.join(', ');
}

/**
 * The actions on an account other than one's own (`self`; the server refuses those on oneself: 409): in the
 * table only disable/enable (`all` false, so the row stays narrow), in the detail every one. `ask` opens the
 * action's confirmation.
 */
export function actionButtons(
  user: AdminUser,
  options: { all: boolean; self: boolean; ask: (action: Action) => () => void },
): TemplateResult {
  if (options.self) return html`<span class="muted">${msg('This is you', { id: 'adm.you' })}</span>`;
  const { all, ask } = options;
  const who = html`<span class="visually-hidden">${user.email}</span>`;
  return html`<div class="admin-actions">
    ${
      user.disabled
        ? html`<wa-button size="s" appearance="outlined" @click=${ask('enable')}>
            <wa-icon slot="start" name="user-check"></wa-icon>${msg('Enable', { id: 'adm.enable-short' })}${who}
          </wa-button>`
        : html`<wa-button size="s" variant="danger" appearance="outlined" @click=${ask('disable')}>
            <wa-icon slot="start" name="ban"></wa-icon>${msg('Disable', { id: 'adm.disable-short' })}${who}
          </wa-button>`
    }
    ${
      !all
        ? nothing
        : user.role === 'admin'
          ? html`<wa-button size="s" appearance="outlined" @click=${ask('demote')}>
              ${msg('Make regular user', { id: 'adm.demote' })}${who}
            </wa-button>`
          : html`<wa-button size="s" appearance="outlined" @click=${ask('promote')}>
              ${msg('Make administrator', { id: 'adm.promote' })}${who}
            </wa-button>`
    }
    ${
      all
        ? html`<wa-button size="s" appearance="outlined" @click=${ask('sessions')}>
            <wa-icon slot="start" name="log-out"></wa-icon>${msg('Sign out everywhere', { id: 'adm.sessions' })}${who}
          </wa-button>`
        : nothing
    }
  </div>`;
}

/** Whether the account is active or disabled, and whether its email is verified, as two badges. */
export function statusBadges(user: AdminUser): TemplateResult {
  return html`${
    user.disabled
      ? html`<wa-badge variant="danger" appearance="filled-outlined"
          >${msg('Disabled', { id: 'adm.disabled' })}</wa-badge
        >`
      : html`<wa-badge variant="success" appearance="filled-outlined">${msg('Active', { id: 'adm.active' })}</wa-badge>`
  }
  ${
    user.emailVerified
      ? html`<wa-badge variant="neutral" appearance="outlined"
          >${msg('Email verified', { id: 'adm.verified' })}</wa-badge
        >`
      : html`<wa-badge variant="warning" appearance="outlined"
          >${msg('Email not verified', { id: 'adm.unverified' })}</wa-badge
        >`
  }`;
}
