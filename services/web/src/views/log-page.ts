import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html } from 'lit';
import { formatDateTime, formatNumber, formatPhone, phonesReady } from '../i18n/locale.ts';
import { errorKindText, operationText, outcomeText } from '../i18n/problems.ts';
import { routes } from '../routes.ts';
import { accountName, telegram } from '../telegram.ts';
import { View } from './base.ts';
import { empty, heading, taskView } from './states.ts';

export const PAGE_SIZE = 20;

/** The caller's integration log, newest first, paged with position; a table that becomes cards below 640 px. */
export class LogPage extends View {
  static override properties = { page: { state: true } };
  declare page: number;

  private readonly log = new Task(this, {
    task: async ([page]: readonly [number]) => {
      const [entries, accounts] = await Promise.all([telegram.logs(page, PAGE_SIZE), telegram.accounts(), phonesReady]);
      return { ...entries, names: new Map(accounts.map((account) => [account.id, accountName(account, formatPhone)])) };
    },
    args: () => [this.page] as const,
  });

  constructor() {
    super();
    this.page = 1;
  }

  private pager(total: number) {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const first = total === 0 ? 0 : (this.page - 1) * PAGE_SIZE + 1;
    const last = Math.min(total, this.page * PAGE_SIZE);
    return html`<nav class="pager" aria-label=${msg('Pages', { id: 'log.pages' })}>
      <wa-button appearance="outlined" size="s" ?disabled=${this.page <= 1} @click=${() => (this.page -= 1)}>
        <wa-icon slot="start" name="arrow-left"></wa-icon>${msg('Newer', { id: 'log.newer' })}
      </wa-button>
      <span class="pager-position" data-testid="position" aria-live="polite"
        >${msg(str`Page ${formatNumber(this.page)} of ${formatNumber(pages)} · ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)}`, { id: 'log.position' })}</span
      >
      <wa-button appearance="outlined" size="s" ?disabled=${this.page >= pages} @click=${() => (this.page += 1)}>
        ${msg('Older', { id: 'log.older' })}<wa-icon slot="end" name="arrow-right"></wa-icon>
      </wa-button>
    </nav>`;
  }

  override render() {
    return html`${heading(msg('Integration log', { id: 'route.log' }), msg('What Content Factory did with Telegram for you.', { id: 'log.subtitle' }))}
    ${taskView(
      this.log,
      ({ entries, total, names }) =>
        total === 0
          ? empty(
              'scroll-text',
              msg('Nothing logged yet. Connect an account and its steps appear here.', { id: 'log.empty' }),
              html`<wa-button variant="brand" href=${routes['connect-phone'].path}
                >${msg('Connect by phone', { id: 'route.phone' })}</wa-button
              >`,
            )
          : html`<table class="responsive-table">
                <caption class="visually-hidden">
                  ${msg('Your Telegram operations', { id: 'log.caption' })}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${msg('When', { id: 'log.when' })}</th>
                    <th scope="col">${msg('Operation', { id: 'log.operation' })}</th>
                    <th scope="col">${msg('Account', { id: 'log.account' })}</th>
                    <th scope="col">${msg('Outcome', { id: 'log.outcome' })}</th>
                  </tr>
                </thead>
                <tbody>
                  ${entries.map((entry) => {
                    const outcome = outcomeText(entry.outcome);
                    return html`<tr>
                      <td data-label=${msg('When', { id: 'log.when' })}>
                        ${entry.at ? formatDateTime(entry.at) : '—'}
                      </td>
                      <td data-label=${msg('Operation', { id: 'log.operation' })}>${operationText(entry.operation)}</td>
                      <td data-label=${msg('Account', { id: 'log.account' })}>
                        ${entry.accountId ? (names.get(entry.accountId) ?? msg('A removed account', { id: 'log.removed-account' })) : '—'}
                      </td>
                      <td data-label=${msg('Outcome', { id: 'log.outcome' })}>
                        <wa-badge variant=${outcome.variant} appearance="filled-outlined">${outcome.text}</wa-badge>
                        ${entry.outcome === 'error' ? html`<span class="error-kind">${errorKindText(entry.errorKind)}</span>` : ''}
                      </td>
                    </tr>`;
                  })}
                </tbody>
              </table>
              ${this.pager(total)}`,
      { rows: 5 },
    )}`;
  }
}
customElements.define('cf-integration-log', LogPage);
