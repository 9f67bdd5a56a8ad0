import type { IRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Rule';
import type { IRuleGroup } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/RuleGroup';
import type { Severity } from '../settings.ts';

export type { IRule, IRuleGroup };

/** Where each alert's runbook section lives (one `## <AlertName>` heading per alert). */
export const RUNBOOK_BASE =
  'https://github.com/content-factory/content-factory/blob/main/charts-ts/src/charts/observability/RUNBOOKS.md';

export function record(name: string, expr: string): IRule {
  return { record: name, expr };
}

/**
 * A recording rule of a counter's per-second rate over 5 minutes, summed by `labels`, named by Prometheus'
 * `level:metric:operations` convention (https://prometheus.io/docs/practices/rules/): `rateRecord(['method',
 * 'outcome'], 'telegram_logins_total')` records `method_outcome:telegram_logins:rate5m` as
 * `sum by (method, outcome) (rate(telegram_logins_total[5m]))` — the `_total` suffix leaves the name.
 */
export function rateRecord(labels: string[], counter: string): IRule {
  const metric = counter.replace(/_total$/, '');
  return record(`${labels.join('_')}:${metric}:rate5m`, `sum by (${labels.join(', ')}) (rate(${counter}[5m]))`);
}

export interface AlertInput {
  name: string;
  expr: string;
  for: string;
  severity: Severity;
  summary: string;
  description: string;
}

/** An alert with severity, summary, description and `runbook_url` (kube-prometheus conventions). */
export function alert(a: AlertInput): IRule {
  return {
    alert: a.name,
    expr: a.expr,
    for: a.for,
    labels: { severity: a.severity },
    annotations: {
      summary: a.summary,
      description: a.description,
      runbook_url: `${RUNBOOK_BASE}#${a.name.toLowerCase()}`,
    },
  };
}

/**
 * `sum by (labels) (rate(selector[window]))` that answers 0 instead of nothing when no series match the
 * filter (no 5xx yet), so dashboards and ratios see a value while the denominator exists.
 */
export function rateOrZero(metric: string, filter: string, by: string, window: string): string {
  return `(sum by (${by}) (rate(${metric}{${filter}}[${window}])) or sum by (${by}) (rate(${metric}[${window}])) * 0)`;
}
