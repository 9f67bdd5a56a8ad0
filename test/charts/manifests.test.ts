import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { chartIds } from '../../charts-ts/src/app.ts';
import { synthAll } from '../../charts-ts/src/synth.ts';

const committed = fileURLToPath(new URL('../../manifests/', import.meta.url));

function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const profile of readdirSync(root).sort()) {
    for (const file of readdirSync(join(root, profile)).sort()) {
      out.set(`${profile}/${file}`, readFileSync(join(root, profile, file), 'utf8'));
    }
  }
  return out;
}

const fresh = mkdtempSync(join(tmpdir(), 'cf-synth-'));
synthAll(fresh, undefined, { allowPlaceholders: true });

test('committed manifests/ are exactly what a fresh synth writes (run `npm run synth` when this fails)', (t) => {
  const want = tree(fresh);
  const have = tree(committed);
  t.deepEqual([...have.keys()], [...want.keys()], 'file list');
  for (const [file, text] of want) {
    t.true(have.get(file) === text, `manifests/${file} is stale`);
  }
});

test('synth is byte-for-byte deterministic', (t) => {
  const again = mkdtempSync(join(tmpdir(), 'cf-synth-'));
  synthAll(again, undefined, { allowPlaceholders: true });
  t.deepEqual(tree(again), tree(fresh));
});

test('each profile gets one file per chart, in apply order', (t) => {
  for (const profile of ['dev', 'prod']) {
    t.deepEqual(
      readdirSync(join(fresh, profile)).sort(),
      chartIds.map((id) => `${id}.yaml`),
    );
  }
});

test('every generated document is one Kubernetes object with apiVersion, kind and name', (t) => {
  for (const [file, text] of tree(fresh)) {
    for (const doc of parseAllDocuments(text)) {
      t.deepEqual(doc.errors, [], file);
      const o = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
      t.truthy(o.apiVersion && o.kind && o.metadata?.name, `${file}: ${JSON.stringify(o).slice(0, 80)}`);
    }
  }
});
