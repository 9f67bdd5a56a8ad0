import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing, type TemplateResult } from 'lit';
import { asProblem } from '../../api/problem.ts';
import { session } from '../../api/session.ts';
import { formatNumber } from '../../i18n/locale.ts';
import { routes } from '../../routes.ts';
import { View, states } from '../base.ts';
import { pagePosition, pager, type PagePosition, type PagerWords } from '../pager.ts';
import { empty, failure, heading, loading, taskView } from '../states.ts';
import { notify } from '../toast.ts';
import { PAGE_SIZE, auditTrail, endSessions, listUsers, updateUser, userDetail, type AdminUser } from './api.ts';
import { actionButtons, actionText, isDangerous, type Action } from './actions.ts';
import { accountFacts, trailTable, usersTable } from './account-parts.ts';
import { adminProblemText } from './labels.ts';

/** The console's pager words: Previous/Next and the position, under `label`. */
function pagerWords(label: string): PagerWords {
  return {
    label,
    previous: msg('Previous', { id: 'adm.previous' }),
    next: msg('Next', { id: 'adm.next' }),
    position: ({ page, pages, first, last, total }) =>
      msg(
        str`Page ${formatNumber(page)} of ${formatNumber(pages)} · ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)}`,
        { id: 'adm.position' },
      ),
  };
}

/**
 * The admin console (issue 18 item 6; role `admin` only — others get the not-found page, and the sidebar hides
 * the link): accounts searched by email and paged with position, each action behind a confirmation dialog, and
 * an account's detail with verification, second factors and its audit trail. The server refuses the same
 * actions to non-administrators (403) whatever this page shows.
 */
export class AdminPage extends View {
  static override properties = states('search', 'page', 'selected', 'auditPage', 'confirming', 'acting', 'actionError');
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
    this.auditPage = 1;
    this.acting = false;
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

  /** The actions on an account, as the table (`all` false) or the detail shows them. */
  private actions(user: AdminUser, all: boolean): TemplateResult {
    return actionButtons(user, {
      all,
      self: user.id === session.user?.id,
      ask: (action) => () => {
        this.actionError = undefined;
        this.confirming = { action, user };
      },
    });
  }

  /** A page of a list (`table`) with its pager, called `label`, under it; `go` shows another page. */
  private paged(table: TemplateResult, at: PagePosition, label: string, go: (page: number) => void): TemplateResult {
    return html`${table} ${pager(at, pagerWords(label), go)}`;
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
              : this.paged(
                  usersTable(result.users, {
                    open: (id) => this.open(id),
                    actions: (user) => this.actions(user, false),
                  }),
                  pagePosition(this.page, result.total, PAGE_SIZE),
                  msg('Pages of accounts', { id: 'adm.pages' }),
                  (page) => (this.page = page),
                ),
        { rows: 5 },
      )}`;
  }

  private trail(): TemplateResult {
    return html`<section class="admin-trail" aria-labelledby="admin-trail-title">
      <h2 id="admin-trail-title">${msg('Audit trail', { id: 'adm.trail' })}</h2>
      ${taskView(
        this.audit,
        (trail) =>
          trail === undefined || trail.total === 0
            ? empty('scroll-text', msg('Nothing recorded for this account yet.', { id: 'adm.trail-empty' }))
            : this.paged(
                trailTable(trail.events, this.selected),
                pagePosition(this.auditPage, trail.total, PAGE_SIZE),
                msg('Pages of the audit trail', { id: 'adm.trail-pages' }),
                (page) => (this.auditPage = page),
              ),
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
              <div data-testid="admin-detail">${accountFacts(user)} ${this.actions(user, true)}</div>
              ${this.trail()}`,
    })}`;
  }

  private dialog(): TemplateResult {
    const confirming = this.confirming;
    const text = confirming ? actionText(confirming.action, confirming.user.email) : undefined;
    const danger = confirming !== undefined && isDangerous(confirming.action);
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
