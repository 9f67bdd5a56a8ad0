import { msg } from '@lit/localize';
import { html, nothing, type TemplateResult } from 'lit';
import { formatDateTime, formatNumber } from '../../i18n/locale.ts';
import { responsiveTable, type Column } from '../responsive-table.ts';
import { factorsText, statusBadges } from './actions.ts';
import type { AdminUser, AdminUserDetail, AuditEvent } from './api.ts';
import { eventDetails, eventLabel, roleLabel } from './labels.ts';

// What the console shows of accounts: its two tables and an account's facts.

/** The accounts table: email (opens the detail) and name, role, status, second factors, actions. */
function userColumns(row: {
  open: (id: string) => void;
  actions: (user: AdminUser) => TemplateResult;
}): Column<AdminUser>[] {
  return [
    {
      label: msg('Account', { id: 'adm.account' }),
      cell: (user) =>
        html`<button type="button" class="wa-plain admin-open" @click=${() => row.open(user.id)}>${user.email}</button>
          ${user.displayName ? html`<span class="muted admin-name">${user.displayName}</span>` : nothing}`,
    },
    { label: msg('Role', { id: 'adm.role' }), cell: (user) => roleLabel(user.role) },
    { label: msg('Status', { id: 'adm.status' }), cell: (user) => statusBadges(user) },
    { label: msg('Two-step verification', { id: 'adm.2fa' }), cell: (user) => factorsText(user.secondFactors) },
    { label: msg('Actions', { id: 'adm.actions' }), cell: (user) => row.actions(user) },
  ];
}

/** The audit trail of `account`: when, what (with its details), by whom (the account itself, another, or nobody), from where. */
function trailColumns(account: string | undefined): Column<AuditEvent>[] {
  return [
    { label: msg('When', { id: 'adm.when' }), cell: (event) => formatDateTime(event.at) },
    {
      label: msg('Event', { id: 'adm.event' }),
      cell: (event) =>
        html`${eventLabel(event.event)}
        ${eventDetails(event.details).map((line) => html`<span class="error-kind">${line}</span>`)}`,
    },
    {
      label: msg('By', { id: 'adm.by' }),
      cell: (event) =>
        event.actor === null
          ? '—'
          : event.actor.id === account
            ? msg('The account itself', { id: 'adm.by-self' })
            : (event.actor.email ?? msg('A removed account', { id: 'adm.by-removed' })),
    },
    { label: msg('From address', { id: 'adm.ip' }), cell: (event) => event.ip ?? '—' },
  ];
}

/** An account's facts as a definition list: role, status, second factors, sessions, created. */
export function accountFacts(user: AdminUserDetail): TemplateResult {
  const fact = (label: string, value: string | TemplateResult) =>
    html`<div class="admin-fact">
      <dt>${label}</dt>
      <dd>${value}</dd>
    </div>`;
  const factors = user.secondFactors;
  return html`<dl class="admin-facts" data-testid="admin-facts">
    ${fact(msg('Role', { id: 'adm.role' }), roleLabel(user.role))}
    ${fact(msg('Status', { id: 'adm.status' }), statusBadges(user))}
    ${fact(msg('Authenticator app', { id: 'adm.totp' }), factors.totp ? msg('On', { id: 'adm.on' }) : msg('Off', { id: 'adm.f.off' }))}
    ${fact(msg('Passkeys', { id: 'adm.passkeys' }), formatNumber(factors.passkeys))}
    ${fact(msg('Recovery codes left', { id: 'adm.codes-left' }), formatNumber(factors.recoveryCodesLeft))}
    ${fact(msg('Signed-in sessions', { id: 'adm.live-sessions' }), formatNumber(user.activeSessions))}
    ${fact(msg('Created', { id: 'adm.created' }), formatDateTime(user.createdAt))}
  </dl>`;
}

/** The accounts table (a page of them): `row` says what opening an account and its actions do. */
export function usersTable(
  users: readonly AdminUser[],
  row: { open: (id: string) => void; actions: (user: AdminUser) => TemplateResult },
): TemplateResult {
  return responsiveTable(users, userColumns(row), {
    caption: msg('Accounts', { id: 'adm.caption' }),
    className: 'admin-table',
    testid: 'admin-users',
    rowTestid: 'admin-user',
  });
}

/** A page of the audit trail of `account`. */
export function trailTable(events: readonly AuditEvent[], account: string | undefined): TemplateResult {
  return responsiveTable(events, trailColumns(account), {
    caption: msg('Audit trail', { id: 'adm.trail' }),
    testid: 'admin-trail',
    rowTestid: 'audit-event',
  });
}
