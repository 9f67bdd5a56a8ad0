import type { RunningPrometheus } from '../support/prometheus.ts';

/** Labels Prometheus itself puts on a scraped series (the PodMonitor's target labels), not the exporter. */
export const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'container', 'endpoint', 'service']);

/** Aggregations that keep every label of their input (they select series rather than merge them). */
const SELECTING = new Set(['topk', 'bottomk', 'limitk', 'limit_ratio']);

type Node = Record<string, unknown>;

/**
 * The label names a PromQL expression needs on each metric it selects, from Prometheus' own parser
 * (`/api/v1/parse_query`): a selector's matchers, the `by` labels of the aggregations above it, the
 * `on`/`group_left` labels of the vector matches above it, `le` under `histogram_quantile` and the source
 * labels of `label_replace`/`label_join` (whose destination label is made, not needed). A label a metric
 * lacks makes such an expression silently empty, or silently match everything (`!=`), instead of failing.
 */
export async function labelsNeeded(prometheus: RunningPrometheus, expr: string): Promise<Map<string, Set<string>>> {
  const tree = await prometheus.api<Node>(`parse_query?query=${encodeURIComponent(expr)}`);
  const needed = new Map<string, Set<string>>();
  const need = (metric: string, labels: Iterable<string>): void => {
    const set = needed.get(metric) ?? new Set<string>();
    for (const label of labels) set.add(label);
    needed.set(metric, set);
  };
  const visit = (node: unknown, required: Set<string>): void => {
    if (Array.isArray(node)) return node.forEach((child) => visit(child, required));
    if (node === null || typeof node !== 'object') return;
    const n = node as Node;
    switch (n['type']) {
      case 'vectorSelector':
      case 'matrixSelector': {
        const matchers = (n['matchers'] as { name: string; type: string; value: string }[] | undefined) ?? [];
        const name = typeof n['name'] === 'string' && n['name'] !== '' ? n['name'] : undefined;
        // `label=""` asks for the label's absence: it needs nothing.
        const used = matchers.filter((m) => m.name !== '__name__' && !(m.type === '=' && m.value === ''));
        if (name !== undefined) need(name, [...required, ...used.map((m) => m.name)]);
        return;
      }
      case 'aggregation': {
        const grouping = (n['grouping'] as string[] | undefined) ?? [];
        const op = String(n['op']);
        const child = SELECTING.has(op)
          ? new Set([...required, ...grouping])
          : n['without'] === true
            ? required
            : new Set(grouping);
        return visit(n['expr'], child);
      }
      case 'call': {
        const name = (n['func'] as { name: string }).name;
        const args = n['args'] as Node[];
        const strings = args.filter((a) => a['type'] === 'stringLiteral').map((a) => String(a['val']));
        let child = required;
        if (name === 'histogram_quantile') child = new Set([...required, 'le']);
        if (name === 'label_replace') child = new Set([...[...required].filter((l) => l !== strings[0]), strings[2]!]);
        if (name === 'label_join') {
          child = new Set([...[...required].filter((l) => l !== strings[0]), ...strings.slice(2)]);
        }
        return args.forEach((arg) => visit(arg, child));
      }
      case 'binaryExpr': {
        const matching = n['matching'] as
          { card: string; include: string[] | null; labels: string[] | null; on: boolean } | null | undefined;
        const on = matching?.on === true ? (matching.labels ?? []) : [];
        const include = matching?.include ?? [];
        const lhs = new Set([...required, ...on, ...(matching?.card === 'one-to-many' ? include : [])]);
        const rhs = new Set([...required, ...on, ...(matching?.card === 'many-to-one' ? include : [])]);
        visit(n['lhs'], lhs);
        return visit(n['rhs'], rhs);
      }
      default:
        for (const value of Object.values(n)) visit(value, required);
    }
  };
  visit(tree, new Set());
  return needed;
}
