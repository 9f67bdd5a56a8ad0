import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { scratchDir } from '../support/process.ts';

const run = promisify(execFile);
let plane: ControlPlane;

test.before(async () => {
  plane = await startControlPlane();
});

test.after.always(async () => {
  await plane?.stop();
});

test('the API server creates and reads back a namespace', async (t) => {
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'smoke', labels: { purpose: 'test' } } } });
  const read = await core.readNamespace({ name: 'smoke' });
  t.is(read.metadata?.labels?.['purpose'], 'test');
});

async function kubectlDryRun(manifest: object): Promise<{ ok: boolean; output: string }> {
  const file = join(scratchDir('manifest'), 'manifest.yaml');
  writeFileSync(file, stringify(manifest));
  try {
    const { stdout } = await run('kubectl', [
      '--kubeconfig',
      plane.kubeconfigPath,
      'apply',
      '--dry-run=server',
      '-f',
      file,
    ]);
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: (error as { stderr?: string }).stderr ?? '' };
  }
}

test('kubectl apply --dry-run=server accepts a valid manifest', async (t) => {
  const result = await kubectlDryRun({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'default' },
    data: { mode: 'dev' },
  });
  t.true(result.ok, result.output);
  t.regex(result.output, /configmap\/settings created \(server dry run\)/);
});

test('kubectl apply --dry-run=server rejects an invalid manifest', async (t) => {
  const result = await kubectlDryRun({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken', namespace: 'default' },
    spec: {
      replicas: -1,
      selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  });
  t.false(result.ok);
  t.regex(result.output, /invalid/i);
});
