import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { alertNames } from '../../charts-ts/src/charts/observability/rules/index.ts';
import { resolveBinary } from '../support/binaries.ts';
import { scratchDir } from '../support/process.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alertCases } from './rule-cases.ts';
import { observabilityObjects, profilesUnderTest, ruleGroups, writeRuleFile } from './stack.ts';

const run = promisify(execFile);
const groups = ruleGroups(observabilityObjects(profilesUnderTest[0]!));

async function promtool(args: string[]): Promise<{ code: number; output: string }> {
  const bin = (await resolveBinary('promtool')).path;
  try {
    const { stdout, stderr } = await run(bin, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test('the generated rule groups pass `promtool check rules` (syntax, templates, duplicate records)', async (t) => {
  t.timeout(180_000);
  const file = writeRuleFile(scratchDir('rules'), groups);
  const { code, output } = await promtool(['check', 'rules', '--lint=all', '--lint-fatal', file]);
  t.is(code, 0, output);
});

test('every alert has a promtool case where it fires and one where it stays silent', (t) => {
  const missing = alertNames().flatMap((name) => {
    const cases = alertCases.filter((c) => c.alert === name);
    return [
      ...(cases.some((c) => c.firing.length > 0) ? [] : [`${name}: no firing case`]),
      ...(cases.some((c) => c.firing.length === 0) ? [] : [`${name}: no silent case`]),
    ];
  });
  t.deepEqual(missing, []);
  const unknown = alertCases.filter((c) => !alertNames().includes(c.alert)).map((c) => c.alert);
  t.deepEqual(unknown, [], 'cases for alerts that do not exist');
});

test('every runbook_url points at the runbook section named after its alert', (t) => {
  for (const rule of groups.flatMap((g) => g.rules ?? [])) {
    if (rule.alert === undefined) continue;
    t.regex(rule.annotations?.['runbook_url'] ?? '', new RegExp(`#${rule.alert.toLowerCase()}$`), rule.alert);
    t.truthy(rule.labels?.['severity'], `${rule.alert} has no severity`);
  }
});

for (const c of alertCases) {
  const verdict = c.firing.length > 0 ? 'fires' : 'stays silent';
  test(`promtool test rules: ${c.alert} ${verdict} on ${c.what}`, async (t) => {
    t.timeout(180_000);
    const dir = scratchDir('rule-test');
    // Annotations are templates checked by `check rules`; the unit test compares labels only, so the rule
    // file under test carries none (promtool compares annotations exactly when a rule has them).
    const bare = groups.map((g) => ({
      ...g,
      rules: (g.rules ?? []).map(({ annotations: _annotations, ...rule }) => rule),
    }));
    writeRuleFile(dir, bare);
    const spec = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '30s',
      tests: [
        {
          interval: '1m',
          input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
          alert_rule_test: [
            {
              eval_time: c.evalTime,
              alertname: c.alert,
              exp_alerts: c.firing.map((labels) => ({ exp_labels: labels })),
            },
          ],
        },
      ],
    };
    const testFile = join(dir, 'test.yaml');
    writeFileSync(testFile, stringify(spec));
    const { code, output } = await promtool(['test', 'rules', testFile]);
    t.is(code, 0, output);
  });
}

test('RUNBOOKS.md has a section for every alert', (t) => {
  const runbooks = readFileSync(
    fileURLToPath(new URL('../../charts-ts/src/charts/observability/RUNBOOKS.md', import.meta.url)),
    'utf8',
  );
  const headings = new Set([...runbooks.matchAll(/^## (\w+)$/gm)].map((m) => m[1]));
  t.deepEqual(
    alertNames().filter((name) => !headings.has(name)),
    [],
  );
});
