/** Small builders over @grafana/grafana-foundation-sdk for our panels; every query uses the Prometheus datasource. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** The provisioned datasources' uids (grafana.ts provisions them with these). */
export const datasources = {
  prometheus: { type: 'prometheus', uid: 'prometheus' },
  alertmanager: { type: 'alertmanager', uid: 'alertmanager' },
  elasticsearch: { type: 'elasticsearch', uid: 'elasticsearch' },
} as const;

export interface Query {
  expr: string;
  legend: string;
}

const q = (query: Query, i: number): DataqueryBuilder =>
  new DataqueryBuilder()
    .expr(query.expr)
    .legendFormat(query.legend)
    .refId(String.fromCharCode(65 + i))
    .datasource(datasources.prometheus);

/** A time series panel; `unit` is a Grafana unit id (`reqps`, `s`, `percentunit`, `bytes`, `short`). */
export function graph(title: string, unit: string, queries: Query[], width = 12): TimeseriesBuilder {
  const panel = new TimeseriesBuilder()
    .title(title)
    .unit(unit)
    .span(width)
    .height(8)
    .datasource(datasources.prometheus);
  queries.forEach((query, i) => panel.withTarget(q(query, i)));
  return panel;
}

/**
 * A time series panel of one counter's per-second rate over 5 minutes, summed by `label`: one series per label
 * value, legend `{{label}}`, unit `ops` — e.g. `rateBy('Reconciles by result', 'vault_unsealer_reconciles_total',
 * 'result')` graphs `sum by (result) (rate(vault_unsealer_reconciles_total[5m]))`.
 */
export function rateBy(title: string, counter: string, label: string): TimeseriesBuilder {
  return graph(title, 'ops', [{ expr: `sum by (${label}) (rate(${counter}[5m]))`, legend: `{{${label}}}` }]);
}

/** A single-value panel of an instant query. */
export function stat(title: string, unit: string, query: Query, width = 6): StatBuilder {
  return new StatBuilder()
    .title(title)
    .unit(unit)
    .span(width)
    .height(4)
    .datasource(datasources.prometheus)
    .withTarget(q(query, 0).instant());
}

export interface Section {
  title: string;
  panels: (TimeseriesBuilder | StatBuilder)[];
}

/** A dashboard of rows; uids are stable so links and provisioning survive regeneration. */
export function dashboard(uid: string, title: string, tags: string[], sections: Section[]): Dashboard {
  const d = new DashboardBuilder(title)
    .uid(uid)
    .tags(['content-factory', ...tags])
    .refresh('30s')
    .readonly();
  d.time({ from: 'now-3h', to: 'now' });
  for (const s of sections) {
    d.withRow(new RowBuilder(s.title));
    for (const p of s.panels) d.withPanel(p);
  }
  return d.build();
}

/** Every PromQL expression of a dashboard's panels (rows included), for tests and docs. */
export function panelQueries(d: Dashboard): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  const visit = (panels: unknown[] | undefined): void => {
    for (const raw of panels ?? []) {
      const p = raw as { title?: string; targets?: { expr?: string }[]; panels?: unknown[] };
      for (const t of p.targets ?? []) if (t.expr !== undefined) out.push({ panel: p.title ?? '', expr: t.expr });
      visit(p.panels);
    }
  };
  visit(d.panels as unknown[] | undefined);
  return out;
}
