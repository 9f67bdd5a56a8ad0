import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { Testing } from 'cdk8s';
import { buildApp } from '../../charts-ts/src/app.ts';
import { namespace, operator } from '../../charts-ts/src/charts/observability/stack.ts';
import { internalCa } from '../../charts-ts/src/platform.ts';
import { resolveBinary } from '../support/binaries.ts';
import { selfSignedCa } from '../support/certificates.ts';
import { chartsCrdDirs } from '../support/charts-crds.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { scratchDir, waitFor } from '../support/process.ts';
import { startPrometheusOperator } from '../support/prometheus-operator.ts';
import { prometheusOperatorCrds } from '../support/prometheus-tools.ts';
import type { K8sObject } from '../charts/objects.ts';
import { observabilityObjects, profilesUnderTest } from './stack.ts';

const run = promisify(execFile);

async function kubectl(cp: ControlPlane, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], {
      maxBuffer: 32 * 1024 * 1024,
      timeout: 120_000,
    });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    throw new Error(`kubectl ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: error });
  }
}

function writeYaml(dir: string, name: string, objects: K8sObject[]): string {
  const file = join(dir, name);
  writeFileSync(file, objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n'));
  return file;
}

/**
 * Control plane with the prometheus-operator CRDs, cert-manager's (the chart's trust Certificate), our namespaces and
 * the observability chart applied.
 */
async function withStack(
  profileIndex: number,
  fn: (cp: ControlPlane, objects: K8sObject[], applied: string) => Promise<void>,
): Promise<void> {
  const profile = profilesUnderTest[profileIndex]!;
  // The CRD files first: a control plane started beside a lookup that fails would never be stopped.
  const certManager = (await chartsCrdDirs()).filter((c) => c.module.includes('cert-manager'));
  const crds = [...(await prometheusOperatorCrds()), ...certManager.flatMap((c) => c.files)];
  const cp = await startControlPlane();
  try {
    const dir = scratchDir('obs-apply');
    await kubectl(cp, ['apply', '--server-side', ...crds.flatMap((f) => ['-f', f])]);
    await kubectl(cp, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    const namespaces = Testing.synth(
      buildApp(profile).charts.find((c) => c.node.id === '01-namespaces')!,
    ) as K8sObject[];
    await kubectl(cp, ['apply', '--server-side', '-f', writeYaml(dir, 'namespaces.yaml', namespaces)]);
    await kubectl(cp, ['create', 'namespace', 'cert-manager']);
    // No cert-manager runs here: a stand-in for the trust Secret its Certificate would fill, whose ca.crt the
    // operator hands to Prometheus for the Vault scrape (it skips a monitor whose TLS Secret is missing).
    await selfSignedCa(dir, 'cf-internal-ca');
    await kubectl(cp, [
      ...['-n', namespace, 'create', 'secret', 'generic', internalCa.trustSecret],
      `--from-file=${internalCa.file}=${join(dir, 'ca.crt')}`,
    ]);
    const objects = observabilityObjects(profile);
    const { stdout, stderr } = await kubectl(cp, [
      'apply',
      '--server-side',
      '--field-manager=content-factory',
      '-f',
      writeYaml(dir, 'observability.yaml', objects),
    ]);
    await fn(cp, objects, `${stdout}\n${stderr}`);
  } finally {
    await cp.stop();
  }
}

for (const [i, profile] of profilesUnderTest.entries()) {
  test(`${profile.name}: the prometheus-operator CRDs and every observability object are accepted by a real kube-apiserver`, async (t) => {
    t.timeout(300_000);
    await withStack(i, async (_cp, objects, output) => {
      t.notRegex(output, /[Ww]arning/, output);
      const applied = output.split('\n').filter((line) => / serverside-applied$/.test(line));
      t.is(applied.length, objects.length, output);
    });
  });
}

test('the real prometheus-operator, as its own ServiceAccount, turns our objects into a config that `promtool check config` accepts, with our rules', async (t) => {
  t.timeout(600_000);
  await withStack(0, async (cp, objects) => {
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === operator.name)!;
    const args = (deployment['spec'] as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
      .containers[0]!.args;
    const proc = await startPrometheusOperator(cp, { args, serviceAccount: { namespace, name: operator.name } });
    try {
      const secret = await waitFor(
        async () => {
          const { stdout } = await kubectl(cp, [
            '-n',
            namespace,
            'get',
            'secret',
            'prometheus-prometheus',
            '-o',
            'json',
          ]).catch(() => ({ stdout: '' }));
          return stdout === '' ? undefined : (JSON.parse(stdout) as { data: Record<string, string> });
        },
        { what: 'the operator to write prometheus-prometheus', process: proc, timeoutMs: 180_000, intervalMs: 2000 },
      );
      const dir = scratchDir('operator-config');
      const config = gunzipSync(Buffer.from(secret.data['prometheus.yaml.gz']!, 'base64')).toString('utf8');
      const configFile = join(dir, 'prometheus.yaml');
      writeFileSync(configFile, config);
      // One scrape job per PodMonitor and the kubelet ServiceMonitor, named by the operator's convention.
      for (const monitor of objects.filter((o) => o.kind === 'PodMonitor')) {
        t.regex(
          config,
          new RegExp(`job_name: podMonitor/${namespace}/${monitor.metadata.name}/0`),
          monitor.metadata.name,
        );
      }
      t.regex(config, new RegExp(`job_name: serviceMonitor/${namespace}/kubelet/0`));
      const promtool = (await resolveBinary('promtool')).path;
      // --syntax-only: the config names files that exist only inside the pod (rule files, the SA token).
      const checked = await run(promtool, ['check', 'config', '--syntax-only', configFile], { timeout: 60_000 }).catch(
        (error: { stdout?: string; stderr?: string }) => ({
          stdout: `${error.stdout ?? ''}${error.stderr ?? ''}FAILED`,
          stderr: '',
        }),
      );
      t.notRegex(checked.stdout, /FAILED/, checked.stdout);

      // The rule files the operator renders from our PrometheusRules pass promtool too.
      const { stdout } = await kubectl(cp, [
        '-n',
        namespace,
        'get',
        'configmap',
        'prometheus-prometheus-rulefiles-0',
        '-o',
        'json',
      ]);
      const files = (JSON.parse(stdout) as { data: Record<string, string> }).data;
      const ruleFiles = Object.entries(files).map(([name, content]) => {
        const file = join(dir, name);
        writeFileSync(file, content);
        return file;
      });
      t.is(ruleFiles.length, objects.filter((o) => o.kind === 'PrometheusRule').length);
      const rules = await run(promtool, ['check', 'rules', ...ruleFiles], { timeout: 60_000 });
      t.regex(rules.stdout, /SUCCESS/);
    } finally {
      await proc.stop();
    }
  });
});
