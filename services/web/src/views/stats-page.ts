import { msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { html } from 'lit';
import { formatNumber } from '../i18n/locale.ts';
import { errorKindText } from '../i18n/problems.ts';
import { routes } from '../routes.ts';
import { telegram } from '../telegram.ts';
import { View } from './base.ts';
import { responsiveTable } from './responsive-table.ts';
import { empty, heading, taskView } from './states.ts';

/** Error counts by kind (in words) over the service's window. */
export class StatsPage extends View {
  private readonly stats = new Task(this, { task: () => telegram.errorStats(), args: () => [] as const });

  override render() {
    return html`${heading(msg('Error statistics', { id: 'route.stats' }))}
    ${taskView(
      this.stats,
      ({ windowHours, counts }) => {
        const window = msg(str`Last ${formatNumber(windowHours)} hours`, { id: 'stats.window' });
        return counts.length === 0
          ? empty(
              'circle-check',
              msg(str`No errors. ${window}.`, { id: 'stats.empty' }),
              html`<wa-button appearance="outlined" href=${routes.log.path}
                >${msg('Open the integration log', { id: 'stats.open-log' })}</wa-button
              >`,
            )
          : html`<p class="page-subtitle">${window}</p>
              ${responsiveTable(
                counts,
                [
                  { label: msg('Error', { id: 'stats.kind' }), cell: ([kind]) => errorKindText(kind) },
                  {
                    label: msg('Count', { id: 'stats.count' }),
                    cell: ([, count]) => formatNumber(count),
                    numeric: true,
                  },
                ],
                { caption: msg('Errors by kind', { id: 'stats.caption' }) },
              )}`;
      },
      { rows: 3 },
    )}`;
  }
}
customElements.define('cf-error-stats', StatsPage);
