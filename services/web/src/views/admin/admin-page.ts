import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing, type TemplateResult } from 'lit';
import { asProblem } from '../../api/problem.ts';
import { session } from '../../api/session.ts';
import { formatDateTime, formatNumber } from '../../i18n/locale.ts';
import { routes } from '../../routes.ts';
import { View } from '../base.ts';
import { empty, failure, heading, loading, taskView } from '../states.ts';
import { notify } from '../toast.ts';
import {
  PAGE_SIZE,
  auditTrail,
  endSessions,
  listUsers,
  updateUser,
  userDetail,
  type AdminUser,
  type AdminUserDetail,
} from './api.ts';
import { adminProblemText, eventDetails, eventLabel, roleLabel } from './labels.ts';

type Action = 'disable' | 'enable' | 'promote' | 'demote' | 'sessions';

/** What an action's confirmation dialog asks, and the words of its button and its success toast. */
function actionText(action: Action, email: string): { title: string; body: string; confirm: string; done: string } {
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
function factorsText(factors: AdminUser['secondFactors']): string {
  const parts: string[] = [];
  if (factors.totp) parts.push(msg('authenticator app', { id: 'adm.f.totp' }));
  if (factors.passkeys > 0) parts.push(msg(str`passkeys: ${formatNumber(factors.passkeys)}`, { id: 'adm.f.passkeys' }));
  return parts.length === 0 ? msg('Off', { id: 'adm.f.off' }) : parts.join(', ');
}

/**
 * The admin console (issue 18 item 6; role `admin` only — others get the not-found page, and the sidebar hides
 * the link): accounts searched by email and paged with position, each action behind a confirmation dialog, and
 * an account's detail with verification, second factors and its audit trail. The server refuses the same
 * actions to non-administrators (403) whatever this page shows.
 */
export class AdminPage extends View {
  static override properties = {
    search: { state: true },
    page: { state: true },
    selected: { state: true },
    auditPage: { state: true },
    confirming: { state: true },
    acting: { state: true },
    actionError: { state: true },
  };
  /** The search applied (what the list shows); the input's text until submitted lives in the field. */
  declare search: string;
  declare page: number;
  /** The account whose detail is open, or undefined for the list. */
  declare selected: string | undefined;
  declare auditPage: number;
  declare confirming: { action: Action; user: AdminUser } | undefined;
  declare acting: boolean;
  declare actionError: unknown;

  private readonly users = new Task(this, {
    // Only administrators ask: anyone else gets the not-found page without a request behind it.
    task: ([search, page, admin]: readonly [string, number, boolean]) => (admin ? listUsers(search, page) : undefined),
    args: () => [this.search, this.page, this.isAdmin] as const,
  });

  private readonly detail = new Task(this, {
    task: ([id]: readonly [string | undefined]) => (id === undefined ? undefined : userDetail(id)),
    args: () => [this.selected] as const,
  });

  private readonly audit = new Task(this, {
    task: ([id, page]: readonly [string | undefined, number]) => (id === undefined ? undefined : auditTrail(id, page)),
    args: () => [this.selected, this.auditPage] as const,
  });

  constructor() {
    super();
    this.search = '';
    this.page = 1;
    this.selected = undefined;
    this.auditPage = 1;
    this.confirming = undefined;
    this.acting = false;
    this.actionError = undefined;
  }

  private get isAdmin(): boolean {
    return session.user?.role === 'admin';
  }

  /** The signed-in account arrives after the page first renders (page-load restore): render again then. */
  private stopListening: (() => void) | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.stopListening = session.onChange(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopListening?.();
  }

  private submitSearch(event: SubmitEvent): void {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('admin-search') as HTMLInputElement;
    this.search = input.value.trim();
    this.page = 1;
  }

  private open(id: string | undefined): void {
    this.selected = id;
    this.auditPage = 1;
    // The new view's heading takes focus, as after a navigation.
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('[data-page-heading]')?.focus());
  }

  private async act(): Promise<void> {
    const confirming = this.confirming;
    if (confirming === undefined) return;
    const { action, user } = confirming;
    this.acting = true;
    this.actionError = undefined;
    try {
      if (action === 'sessions') await endSessions(user.id);
      else
        await updateUser(
          user.id,
          action === 'disable' || action === 'enable'
            ? { disabled: action === 'disable' }
            : { role: action === 'promote' ? 'admin' : 'user' },
        );
      this.confirming = undefined;
      notify(actionText(action, user.email).done);
      void this.users.run();
      if (this.selected !== undefined) {
        void this.detail.run();
        void this.audit.run();
      }
    } catch (error) {
      this.actionError = error;
    } finally {
      this.acting = false;
    }
  }

  private pager(page: number, total: number, label: string, go: (page: number) => void): TemplateResult {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const first = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
    const last = Math.min(total, page * PAGE_SIZE);
    return html`<nav class="pager" aria-label=${label}>
      <wa-button appearance="outlined" size="s" ?disabled=${page <= 1} @click=${() => go(page - 1)}>
        <wa-icon slot="start" name="arrow-left"></wa-icon>${msg('Previous', { id: 'adm.previous' })}
      </wa-button>
      <span class="pager-position" data-testid="position" aria-live="polite"
        >${msg(str`Page ${formatNumber(page)} of ${formatNumber(pages)} · ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)}`, { id: 'adm.position' })}</span
      >
      <wa-button appearance="outlined" size="s" ?disabled=${page >= pages} @click=${() => go(page + 1)}>
        ${msg('Next', { id: 'adm.next' })}<wa-icon slot="end" name="arrow-right"></wa-icon>
      </wa-button>
    </nav>`;
  }

  /**
   * The actions on an account other than one's own (the server refuses those on oneself: 409): in the table
   * only disable/enable (`all` false, so the row stays narrow), in the detail every one.
   */
  private actions(user: AdminUser, all: boolean): TemplateResult {
    if (user.id === session.user?.id) return html`<span class="muted">${msg('This is you', { id: 'adm.you' })}</span>`;
    const ask = (action: Action) => () => {
      this.actionError = undefined;
      this.confirming = { action, user };
    };
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

  private statusBadges(user: AdminUser): TemplateResult {
    return html`${
      user.disabled
        ? html`<wa-badge variant="danger" appearance="filled-outlined"
            >${msg('Disabled', { id: 'adm.disabled' })}</wa-badge
          >`
        : html`<wa-badge variant="success" appearance="filled-outlined"
            >${msg('Active', { id: 'adm.active' })}</wa-badge
          >`
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

  private list(): TemplateResult {
    return html`${heading(msg('Administration', { id: 'route.admin' }), msg('Every account, its security and what happened to it.', { id: 'adm.subtitle' }))}
      <form class="admin-search" role="search" @submit=${this.submitSearch}>
        <label for="admin-search">${msg('Search by email', { id: 'adm.search-label' })}</label>
        <div class="admin-search-row">
          <input
            id="admin-search"
            name="admin-search"
            type="search"
            maxlength="200"
            autocomplete="off"
            .value=${this.search}
          />
          <button type="submit" class="wa-brand">
            <wa-icon name="search" aria-hidden="true"></wa-icon> ${msg('Search', { id: 'adm.search' })}
          </button>
        </div>
      </form>
      ${taskView(
        this.users,
        (result) =>
          result === undefined
            ? nothing
            : result.total === 0
              ? empty(
                  'users',
                  this.search === ''
                    ? msg('No accounts yet.', { id: 'adm.empty' })
                    : msg(str`No account’s email contains “${this.search}”.`, { id: 'adm.no-match' }),
                  this.search === ''
                    ? nothing
                    : html`<wa-button appearance="outlined" @click=${() => ((this.search = ''), (this.page = 1))}
                        >${msg('Show all accounts', { id: 'adm.show-all' })}</wa-button
                      >`,
                )
              : html`<table class="responsive-table admin-table" data-testid="admin-users">
                    <caption class="visually-hidden">
                      ${msg('Accounts', { id: 'adm.caption' })}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">${msg('Account', { id: 'adm.account' })}</th>
                        <th scope="col">${msg('Role', { id: 'adm.role' })}</th>
                        <th scope="col">${msg('Status', { id: 'adm.status' })}</th>
                        <th scope="col">${msg('Two-step verification', { id: 'adm.2fa' })}</th>
                        <th scope="col">${msg('Actions', { id: 'adm.actions' })}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${result.users.map(
                        (user) =>
                          html`<tr data-testid="admin-user">
                            <td data-label=${msg('Account', { id: 'adm.account' })}>
                              <button type="button" class="wa-plain admin-open" @click=${() => this.open(user.id)}>
                                ${user.email}
                              </button>
                              ${user.displayName ? html`<span class="muted admin-name">${user.displayName}</span>` : nothing}
                            </td>
                            <td data-label=${msg('Role', { id: 'adm.role' })}>${roleLabel(user.role)}</td>
                            <td data-label=${msg('Status', { id: 'adm.status' })}>${this.statusBadges(user)}</td>
                            <td data-label=${msg('Two-step verification', { id: 'adm.2fa' })}>
                              ${factorsText(user.secondFactors)}
                            </td>
                            <td data-label=${msg('Actions', { id: 'adm.actions' })}>${this.actions(user, false)}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                  ${this.pager(this.page, result.total, msg('Pages of accounts', { id: 'adm.pages' }), (page) => (this.page = page))}`,
        { rows: 5 },
      )}`;
  }

  private facts(user: AdminUserDetail): TemplateResult {
    const fact = (label: string, value: string | TemplateResult) =>
      html`<div class="admin-fact">
        <dt>${label}</dt>
        <dd>${value}</dd>
      </div>`;
    const factors = user.secondFactors;
    return html`<dl class="admin-facts" data-testid="admin-facts">
      ${fact(msg('Role', { id: 'adm.role' }), roleLabel(user.role))}
      ${fact(msg('Status', { id: 'adm.status' }), this.statusBadges(user))}
      ${fact(msg('Authenticator app', { id: 'adm.totp' }), factors.totp ? msg('On', { id: 'adm.on' }) : msg('Off', { id: 'adm.f.off' }))}
      ${fact(msg('Passkeys', { id: 'adm.passkeys' }), formatNumber(factors.passkeys))}
      ${fact(msg('Recovery codes left', { id: 'adm.codes-left' }), formatNumber(factors.recoveryCodesLeft))}
      ${fact(msg('Signed-in sessions', { id: 'adm.live-sessions' }), formatNumber(user.activeSessions))}
      ${fact(msg('Created', { id: 'adm.created' }), formatDateTime(user.createdAt))}
    </dl>`;
  }

  private trail(): TemplateResult {
    return html`<section class="admin-trail" aria-labelledby="admin-trail-title">
      <h2 id="admin-trail-title">${msg('Audit trail', { id: 'adm.trail' })}</h2>
      ${taskView(
        this.audit,
        (trail) =>
          trail === undefined || trail.total === 0
            ? empty('scroll-text', msg('Nothing recorded for this account yet.', { id: 'adm.trail-empty' }))
            : html`<table class="responsive-table" data-testid="admin-trail">
                  <caption class="visually-hidden">
                    ${msg('Audit trail', { id: 'adm.trail' })}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">${msg('When', { id: 'adm.when' })}</th>
                      <th scope="col">${msg('Event', { id: 'adm.event' })}</th>
                      <th scope="col">${msg('By', { id: 'adm.by' })}</th>
                      <th scope="col">${msg('From address', { id: 'adm.ip' })}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${trail.events.map(
                      (event) =>
                        html`<tr data-testid="audit-event">
                          <td data-label=${msg('When', { id: 'adm.when' })}>${formatDateTime(event.at)}</td>
                          <td data-label=${msg('Event', { id: 'adm.event' })}>
                            ${eventLabel(event.event)}
                            ${eventDetails(event.details).map((line) => html`<span class="error-kind">${line}</span>`)}
                          </td>
                          <td data-label=${msg('By', { id: 'adm.by' })}>
                            ${
                              event.actor === null
                                ? '—'
                                : event.actor.id === this.selected
                                  ? msg('The account itself', { id: 'adm.by-self' })
                                  : (event.actor.email ?? msg('A removed account', { id: 'adm.by-removed' }))
                            }
                          </td>
                          <td data-label=${msg('From address', { id: 'adm.ip' })}>${event.ip ?? '—'}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
                ${this.pager(this.auditPage, trail.total, msg('Pages of the audit trail', { id: 'adm.trail-pages' }), (page) => (this.auditPage = page))}`,
        { rows: 4 },
      )}
    </section>`;
  }

  private detailView(): TemplateResult {
    const back = html`<wa-button appearance="plain" size="s" class="admin-back" @click=${() => this.open(undefined)}>
      <wa-icon slot="start" name="arrow-left"></wa-icon>${msg('All accounts', { id: 'adm.back' })}
    </wa-button>`;
    return html`${back}
    ${this.detail.render({
      initial: () => html`${heading(msg('Account', { id: 'adm.account' }))}${loading(4)}`,
      pending: () => html`${heading(msg('Account', { id: 'adm.account' }))}${loading(4)}`,
      error: (error) =>
        html`${heading(msg('Account', { id: 'adm.account' }))}${failure(error, 'load', () => void this.detail.run())}`,
      complete: (user) =>
        user === undefined
          ? nothing
          : html`${heading(user.email, user.displayName ?? undefined)}
              <div data-testid="admin-detail">${this.facts(user)} ${this.actions(user, true)}</div>
              ${this.trail()}`,
    })}`;
  }

  private dialog(): TemplateResult {
    const confirming = this.confirming;
    const text = confirming ? actionText(confirming.action, confirming.user.email) : undefined;
    const danger =
      confirming?.action === 'disable' || confirming?.action === 'sessions' || confirming?.action === 'demote';
    return html`<wa-dialog
      label=${text?.title ?? ''}
      ?open=${confirming !== undefined}
      data-testid="admin-confirm"
      @wa-after-hide=${(event: Event) => {
        if (event.target === event.currentTarget) {
          this.confirming = undefined;
          this.actionError = undefined;
        }
      }}
    >
      <p>${text?.body ?? ''}</p>
      ${
        this.actionError !== undefined
          ? html`<wa-callout variant="danger" role="alert">
              <wa-icon slot="icon" name="circle-alert"></wa-icon>${adminProblemText(asProblem(this.actionError))}
            </wa-callout>`
          : nothing
      }
      <div slot="footer" class="dialog-actions">
        <wa-button appearance="outlined" @click=${() => (this.confirming = undefined)}
          >${msg('Cancel', { id: 'adm.cancel' })}</wa-button
        >
        <wa-button variant=${danger ? 'danger' : 'brand'} ?loading=${this.acting} @click=${this.act}
          >${text?.confirm ?? ''}</wa-button
        >
      </div>
    </wa-dialog>`;
  }

  override updated(): void {
    // The app titles the document by route; for anyone else this address names no console.
    if (session.user !== undefined && !this.isAdmin)
      document.title = `${msg('Page not found', { id: 'adm.not-found' })} · Content Factory`;
  }

  override render() {
    // Until the account's details arrive, nothing says whether this is the console.
    if (session.user === undefined) return loading(5);
    // A non-administrator who types the address sees the app's not-found page, not the console.
    if (!this.isAdmin)
      return html`${heading(msg('Page not found', { id: 'adm.not-found' }))}
      ${empty(
        'circle-question',
        msg('There is no page at this address.', { id: 'adm.not-found-body' }),
        html`<wa-button variant="brand" href=${routes.accounts.path}
          >${msg('Telegram accounts', { id: 'route.accounts' })}</wa-button
        >`,
      )}`;
    return html`${this.selected === undefined ? this.list() : this.detailView()} ${this.dialog()}`;
  }
}
customElements.define('cf-admin-page', AdminPage);
