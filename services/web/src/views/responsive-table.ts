import { html, nothing, type TemplateResult } from 'lit';

/** A column: its header, what a row shows in it, and whether it holds numbers (right-aligned). */
export interface Column<Row> {
  label: string;
  cell: (row: Row) => unknown;
  numeric?: boolean;
}

/**
 * A table that becomes cards below 640 px (styles.css `.responsive-table`): each cell carries its column's
 * label in `data-label`, which the narrow layout shows before the value. The caption is for screen readers.
 * `testid` names the table and `rowTestid` each row for the browser tests.
 */
export function responsiveTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  options: { caption: string; className?: string; testid?: string; rowTestid?: string },
): TemplateResult {
  const numeric = (column: Column<Row>) => (column.numeric ? 'number' : nothing);
  return html`<table class="responsive-table ${options.className ?? ''}" data-testid=${options.testid ?? nothing}>
    <caption class="visually-hidden">
      ${options.caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((column) => html`<th scope="col" class=${numeric(column)}>${column.label}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr data-testid=${options.rowTestid ?? nothing}>
            ${columns.map((column) => html`<td data-label=${column.label} class=${numeric(column)}>${column.cell(row)}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}
