import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html, nothing } from 'lit';
import { asProblem } from '../api/problem.ts';
import { formatDateTime, formatPhone, phonesReady } from '../i18n/locale.ts';
import { problemText } from '../i18n/problems.ts';
import { routes } from '../routes.ts';
import { accountName, telegram, type TelegramAccount } from '../telegram.ts';
import { View, states } from './base.ts';
import { empty, heading, taskView } from './states.ts';
import { notify } from './toast.ts';

export function accountState(state: string): { text: string; variant: 'success' | 'warning' | 'danger' } {
  switch (state) {
    case 'connected':
      return { text: msg('Connected', { id: 'outcome.connected' }), variant: 'success' };
    case 'revoked':
    case 'failed':
      return { text: msg('Disconnected by Telegram', { id: 'acc.revoked' }), variant: 'danger' };
    default:
      return { text: msg('Reconnecting', { id: 'acc.reconnecting' }), variant: 'warning' };
  }
}

/** Connected accounts as cards; disconnect asks in a dialog that names the account. */
export class AccountsPage extends View {
  static override properties = states('confirming', 'removing', 'removeError');
  declare confirming: TelegramAccount | undefined;
  declare removing: boolean;
  declare removeError: unknown;

  private readonly accounts = new Task(this, {
    task: async () => (await Promise.all([telegram.accounts(), phonesReady]))[0],
    args: () => [] as const,
  });

  constructor() {
    super();
    this.removing = false;
  }

  private async disconnect(): Promise<void> {
    const account = this.confirming;
    if (account === undefined) return;
    this.removing = true;
    this.removeError = undefined;
    try {
      await telegram.disconnect(account.id);
      this.confirming = undefined;
      notify(msg(str`${accountName(account, formatPhone)} is disconnected.`, { id: 'acc.disconnected' }));
      void this.accounts.run();
    } catch (error) {
      this.removeError = error;
    } finally {
      this.removing = false;
    }
  }

  private connectActions() {
    return html`<div class="actions">
      <wa-button variant="brand" href=${routes['connect-phone'].path}>
        <wa-icon slot="start" name="smartphone"></wa-icon>${msg('Connect by phone', { id: 'route.phone' })}
      </wa-button>
      <wa-button appearance="outlined" href=${routes['connect-qr'].path}>
        <wa-icon slot="start" name="qr-code"></wa-icon>${msg('Connect by QR code', { id: 'route.qr' })}
      </wa-button>
    </div>`;
  }

  private card(account: TelegramAccount) {
    const state = accountState(account.state);
    const name = accountName(account, formatPhone);
    return html`<li class="account-card" data-testid="account">
      <div class="account-avatar" aria-hidden="true">${name.replace(/^[@+]/, '').slice(0, 1).toUpperCase()}</div>
      <div class="account-body">
        <p class="account-name">${name}</p>
        <p class="account-meta">
          ${account.username && account.displayName ? html`<span>@${account.username}</span>` : nothing}
          ${account.phone ? html`<span class="phone">${formatPhone(account.phone)}</span>` : nothing}
          ${account.createdAt ? html`<span>${msg(str`Since ${formatDateTime(account.createdAt)}`, { id: 'acc.since' })}</span>` : nothing}
        </p>
      </div>
      <wa-badge variant=${state.variant} pill>${state.text}</wa-badge>
      <wa-button variant="danger" appearance="outlined" size="s" @click=${() => (this.confirming = account)}>
        <wa-icon slot="start" name="unplug"></wa-icon>${msg('Disconnect', { id: 'acc.disconnect' })}
        <span class="visually-hidden">${name}</span>
      </wa-button>
    </li>`;
  }

  private dialog() {
    const account = this.confirming;
    const name = account ? accountName(account, formatPhone) : '';
    return html`<wa-dialog
      label=${msg(str`Disconnect ${name}?`, { id: 'acc.confirm-title' })}
      ?open=${account !== undefined}
      @wa-after-hide=${(event: Event) => {
        if (event.target === event.currentTarget) {
          this.confirming = undefined;
          this.removeError = undefined;
        }
      }}
    >
      <p>
        ${msg('Content Factory will log this session out at Telegram and delete it. You can connect the account again later.', { id: 'acc.confirm-body' })}
      </p>
      ${this.removeError !== undefined ? html`<wa-callout variant="danger" role="alert">${problemText(asProblem(this.removeError), 'disconnect')}</wa-callout>` : nothing}
      <div slot="footer" class="dialog-actions">
        <wa-button appearance="outlined" @click=${() => (this.confirming = undefined)}
          >${msg('Keep it', { id: 'acc.keep' })}</wa-button
        >
        <wa-button variant="danger" ?loading=${this.removing} @click=${this.disconnect}
          >${msg('Disconnect', { id: 'acc.disconnect' })}</wa-button
        >
      </div>
    </wa-dialog>`;
  }

  override render() {
    return html`${heading(msg('Telegram accounts', { id: 'route.accounts' }), msg('The Telegram accounts Content Factory can publish as.', { id: 'acc.subtitle' }))}
    ${taskView(
      this.accounts,
      (accounts) =>
        accounts.length === 0
          ? empty('inbox', msg('No Telegram account connected yet.', { id: 'acc.empty' }), this.connectActions())
          : html`<ul class="account-list">
                ${accounts.map((account) => this.card(account))}
              </ul>
              ${this.connectActions()}`,
      { rows: 2 },
    )}
    ${this.dialog()}`;
  }
}
customElements.define('cf-accounts', AccountsPage);
