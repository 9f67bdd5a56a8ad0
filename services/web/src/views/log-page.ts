import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html } from 'lit';
import { formatDateTime, formatNumber, formatPhone, phonesReady } from '../i18n/locale.ts';
import { errorKindText, operationText, outcomeText } from '../i18n/problems.ts';
import { routes } from '../routes.ts';
import { accountName, telegram } from '../telegram.ts';
import { View, states } from './base.ts';
import { pagePosition, pager } from './pager.ts';
import { responsiveTable, type Column } from './responsive-table.ts';
import { empty, heading, taskView } from './states.ts';

export const PAGE_SIZE = 20;

type Entry = Awaited<ReturnType<typeof telegram.logs>>['entries'][number];

/** The log's columns: when, which operation, on which account (by name, `names` by id), its outcome. */
function logColumns(names: Map<string, string>): Column<Entry>[] {
  return [
    { label: msg('When', { id: 'log.when' }), cell: (entry) => (entry.at ? formatDateTime(entry.at) : '—') },
    { label: msg('Operation', { id: 'log.operation' }), cell: (entry) => operationText(entry.operation) },
    {
      label: msg('Account', { id: 'log.account' }),
      cell: (entry) =>
        entry.accountId ? (names.get(entry.accountId) ?? msg('A removed account', { id: 'log.removed-account' })) : '—',
    },
    {
      label: msg('Outcome', { id: 'log.outcome' }),
      cell: (entry) => {
        const outcome = outcomeText(entry.outcome);
        return html`<wa-badge variant=${outcome.variant} appearance="filled-outlined">${outcome.text}</wa-badge>
          ${entry.outcome === 'error' ? html`<span class="error-kind">${errorKindText(entry.errorKind)}</span>` : ''}`;
      },
    },
  ];
}

/** The caller's integration log, newest first, paged with position; a table that becomes cards below 640 px. */
export class LogPage extends View {
  static override properties = states('page');
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
    return pager(
      pagePosition(this.page, total, PAGE_SIZE),
      {
        label: msg('Pages', { id: 'log.pages' }),
        previous: msg('Newer', { id: 'log.newer' }),
        next: msg('Older', { id: 'log.older' }),
        position: ({ page, pages, first, last }) =>
          msg(
            str`Page ${formatNumber(page)} of ${formatNumber(pages)} · ${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)}`,
            { id: 'log.position' },
          ),
      },
      (page) => (this.page = page),
    );
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
          : html`${responsiveTable(entries, logColumns(names), {
              caption: msg('Your Telegram operations', { id: 'log.caption' }),
            })}
            ${this.pager(total)}`,
      { rows: 5 },
    )}`;
  }
}
customElements.define('cf-integration-log', LogPage);
