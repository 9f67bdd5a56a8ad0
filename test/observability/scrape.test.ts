import test from 'ava';
import { randomUUID } from 'node:crypto';
import { dashboards, panelQueries } from '../../charts-ts/src/charts/observability/dashboards/index.ts';
import { allRules } from '../../charts-ts/src/charts/observability/rules/index.ts';
import { scrapeTargets } from '../../charts-ts/src/charts/observability/targets.ts';
import { scratchDir, waitFor } from '../support/process.ts';
import { selectedMetrics, startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { expectedElsewhere, pendingMetrics } from './metric-sources.ts';
import { startPlatform, type Platform } from './platform.ts';
import { observabilityObjects, profilesUnderTest, ruleGroups, writeRuleFile } from './stack.ts';

let platform: Platform;
let prometheus: RunningPrometheus;
/** Every metric name some target exports (from Prometheus' own label index after scraping). */
let exported: Set<string>;
/** Metric names each process declares in its /metrics (`# TYPE`), samples or not, with the job declaring it. */
const declared = new Map<string, string>();

async function collectDeclared(p: Platform): Promise<void> {
  const registry = new Map(scrapeTargets().map((t) => [t.job, t]));
  for (const proc of p.processes) {
    const target = registry.get(proc.job)!;
    const query = new URLSearchParams(
      Object.entries(target.params ?? {}).flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v])),
    );
    const text = await (
      await fetch(`http://${proc.address}${target.path}${query.size > 0 ? `?${query}` : ''}`, {
        signal: AbortSignal.timeout(10_000),
      })
    ).text();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const names = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!];
      for (const n of names) declared.set(n, proc.job);
    }
  }
}

/** Traffic every service sees in production: sign-ups, sign-ins (good and bad), refreshes, pages, API docs. */
async function traffic(p: Platform): Promise<void> {
  const post = (url: string, body: unknown, ip: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  const email = `obs-${randomUUID().slice(0, 8)}@example.org`;
  const password = `pw-${randomUUID()}`;
  await post(`${p.userServiceUrl}/auth/register`, { email, password }, '192.0.2.10');
  await post(`${p.userServiceUrl}/auth/login`, { email, password }, '192.0.2.11');
  await post(`${p.userServiceUrl}/auth/login`, { email, password: 'wrong-password' }, '192.0.2.12');
  await post(`${p.gatewayUrl}/api/auth/login`, { email, password }, '192.0.2.13');
  await fetch(`${p.gatewayUrl}/api/openapi.json`, { signal: AbortSignal.timeout(10_000) });
  await fetch(`${p.gatewayUrl}/`, { signal: AbortSignal.timeout(10_000) });
}

test.before(async () => {
  platform = await startPlatform();
  const registry = new Map(scrapeTargets().map((t) => [t.job, t]));
  const groups = ruleGroups(observabilityObjects(profilesUnderTest[0]!));
  const ruleFile = writeRuleFile(scratchDir('scrape-rules'), groups);
  prometheus = await startPrometheus({
    ruleFiles: [ruleFile],
    targets: platform.processes.map((p) => {
      const target = registry.get(p.job);
      if (target === undefined) throw new Error(`${p.job} is not a scrape target of the chart`);
      return {
        job: p.job,
        address: p.address,
        path: target.path,
        ...(target.params !== undefined ? { params: target.params } : {}),
        labels: { namespace: p.namespace, pod: p.pod },
      };
    }),
  });
  await traffic(platform);
  await waitFor(
    async () => {
      const up = await prometheus.query('up == 1');
      return up.length === platform.processes.length + 1;
    },
    { what: 'every target to be up', process: prometheus.process, timeoutMs: 60_000, intervalMs: 500 },
  );
  await traffic(platform);
  // Rates need two samples in their window and the rules a few evaluations: a handful of 1 s intervals.
  await new Promise((resolve) => setTimeout(resolve, 8000));
  exported = new Set(await prometheus.api<string[]>('label/__name__/values'));
  await collectDeclared(platform);
});

test.after.always(async () => {
  await prometheus?.stop();
  await platform?.stop();
});

/** Recording rules by the name they record, to follow a recorded series back to the metrics it reads. */
const recordingRules = new Map(
  allRules().flatMap((r) => (r.record !== undefined ? [[r.record, String(r.expr)] as const] : [])),
);

/** Why an expression has no series: the metrics it selects (through recording rules) that nothing exports here. */
async function missing(expr: string, seen = new Set<string>()): Promise<{ metric: string; source: string }[]> {
  const out: { metric: string; source: string }[] = [];
  for (const metric of await selectedMetrics(prometheus, expr)) {
    const recorded = recordingRules.get(metric);
    if (recorded !== undefined) {
      if (!seen.has(metric)) out.push(...(await missing(recorded, seen.add(metric))));
    } else if (!exported.has(metric)) {
      const declaredBy = declared.get(metric);
      out.push({
        metric,
        source:
          declaredBy !== undefined
            ? `declared by ${declaredBy}, no samples: nothing counted yet`
            : (expectedElsewhere(metric) ?? pendingMetrics[metric] ?? 'NOBODY'),
      });
    }
  }
  return out;
}

test('every target the chart registers for these processes is scraped and up', async (t) => {
  const up = await prometheus.query('up');
  t.deepEqual(
    up.filter((s) => s.value[1] !== '1').map((s) => s.metric['job']),
    [],
  );
  t.deepEqual(
    [...new Set(up.map((s) => s.metric['job']))].sort(),
    [...platform.processes.map((p) => p.job), 'prometheus'].sort(),
  );
});

test('every recording rule returns series, or names the metrics it waits for and who adds them', async (t) => {
  const unexplained: string[] = [];
  for (const rule of allRules().filter((r) => r.record !== undefined)) {
    const series = await prometheus.query(rule.record!);
    if (series.length > 0) continue;
    const why = await missing(String(rule.expr));
    if (why.length === 0 || why.some((w) => w.source === 'NOBODY'))
      unexplained.push(`${rule.record}: ${JSON.stringify(why)}`);
    else t.log(`${rule.record}: no series yet — waits for ${why.map((w) => `${w.metric} (${w.source})`).join(', ')}`);
  }
  t.deepEqual(unexplained, []);
});

test('every dashboard panel query returns series, or names the metrics it waits for and who adds them', async (t) => {
  const unexplained: string[] = [];
  for (const [file, d] of Object.entries(dashboards())) {
    for (const { panel, expr } of panelQueries(d)) {
      // Grafana's $__ variables are not used by our panels; the query runs as written.
      const series = await prometheus.query(expr);
      if (series.length > 0) continue;
      const why = await missing(expr);
      if (why.length === 0 || why.some((w) => w.source === 'NOBODY'))
        unexplained.push(`${file} "${panel}": ${expr} ${JSON.stringify(why)}`);
      else t.log(`${file} "${panel}": waits for ${why.map((w) => `${w.metric} (${w.source})`).join(', ')}`);
    }
  }
  t.deepEqual(unexplained, []);
});

test('every metric a rule or dashboard names is exported by some service, or listed with the component that exports it', async (t) => {
  const exprs = [
    ...allRules().map((r) => String(r.expr)),
    ...Object.values(dashboards()).flatMap((d) => panelQueries(d).map((q) => q.expr)),
  ];
  const recorded = new Set(allRules().flatMap((r) => (r.record !== undefined ? [r.record] : [])));
  const names = new Set<string>();
  for (const expr of exprs) for (const m of await selectedMetrics(prometheus, expr)) names.add(m);
  const nobody = [...names].filter(
    (m) =>
      !exported.has(m) &&
      !declared.has(m) &&
      !recorded.has(m) &&
      expectedElsewhere(m) === undefined &&
      pendingMetrics[m] === undefined,
  );
  t.deepEqual(nobody, [], 'metrics nothing exports');
  const pending = [...names].filter((m) => pendingMetrics[m] !== undefined && !exported.has(m) && !declared.has(m));
  for (const m of pending) t.log(`pending: ${m} — ${pendingMetrics[m]}`);
  // A pending metric that has landed must leave the list, so the list always says what is still missing.
  t.deepEqual(
    Object.keys(pendingMetrics).filter((m) => exported.has(m) || declared.has(m)),
    [],
    'metrics listed as pending are exported now: remove them from metric-sources.ts',
  );
});
