import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolveBinary } from '../support/binaries.ts';
import { allowed } from './kube-score-allow.ts';

const prodDir = fileURLToPath(new URL('../../manifests/prod/', import.meta.url));

interface ScoredObject {
  object_name: string;
  checks: {
    check: { id: string };
    grade: number;
    skipped: boolean;
    comments: { summary: string; path?: string }[] | null;
  }[];
}

/** kube-score's JSON (v2) for the committed prod manifests. A grade below 10 (OK) is a finding. */
async function score(): Promise<{ scored: string[]; findings: { check: string; object: string; summary: string }[] }> {
  const { path } = await resolveBinary('kube-score');
  const files = readdirSync(prodDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(prodDir, f));
  const stdout = await new Promise<string>((resolve, reject) => {
    // Exit code 1 means "findings", which the JSON lists; only a missing output is an error.
    execFile(
      path,
      ['score', '--output-format', 'json', '--kubernetes-version', 'v1.36', ...files],
      { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, out, stderr) =>
        out.trim() !== '' ? resolve(out) : reject(new Error(`kube-score: ${stderr || error?.message}`)),
    );
  });
  const objects = JSON.parse(stdout) as ScoredObject[];
  const findings = objects.flatMap((o) =>
    o.checks
      .filter((c) => !c.skipped && c.grade < 10)
      .map((c) => ({
        check: c.check.id,
        object: o.object_name,
        summary: (c.comments ?? []).map((x) => x.summary).join('; '),
      })),
  );
  return { scored: objects.map((o) => o.object_name), findings };
}

const result = score();
const findings = result.then((r) => r.findings);

test('kube-score finds nothing in manifests/prod beyond the reasoned allow-list', async (t) => {
  const unexplained = (await findings).filter(
    (f) => !allowed.some((a) => a.check === f.check && a.objects.test(f.object)),
  );
  t.deepEqual(
    unexplained.map((f) => `${f.check} ${f.object}: ${f.summary}`),
    [],
  );
});

test('every allow-list entry still matches a finding and gives a reason', async (t) => {
  const all = await findings;
  for (const a of allowed) {
    t.true(
      all.some((f) => f.check === a.check && a.objects.test(f.object)),
      `${a.check} is stale`,
    );
    t.true(a.reason.length > 40, `${a.check} needs a reason`);
  }
});

/** The kinds kube-score has checks for; it passes over others (CRs, RBAC, Namespaces). */
const SCORED_KINDS = [
  'Deployment',
  'StatefulSet',
  'Service',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
];

test('kube-score scored every workload, Service, NetworkPolicy, PDB and HPA of manifests/prod', async (t) => {
  const expected = readdirSync(prodDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(prodDir, f), 'utf8')))
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace: string } })
    .filter((o) => SCORED_KINDS.includes(o.kind))
    .map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
  const scored = new Set(
    (await result).scored.map((name) => {
      const parts = name.split('/');
      return `${parts[0]}/${parts.at(-2)}/${parts.at(-1)}`;
    }),
  );
  t.true(expected.length > 50);
  t.deepEqual(
    expected.filter((e) => !scored.has(e)),
    [],
  );
});
