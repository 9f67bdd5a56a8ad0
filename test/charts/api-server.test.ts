import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { chartsCrdDirs } from '../support/charts-crds.ts';
import { startControlPlane } from '../support/control-plane.ts';
import { startTogether } from '@cf/embedded/process';

const manifests = fileURLToPath(new URL('../../manifests/', import.meta.url));

function kubectl(kubeconfig: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(' ')} failed:\n${stderr}${stdout}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** Namespaces that the Tiltfile's installs create (cert-manager holds the dev CA certificate). */
const installedNamespaces = ['cert-manager'];

for (const profile of ['dev', 'prod']) {
  test(`${profile}: every object is accepted by a real kube-apiserver with the upstream CRDs, without warnings`, async (t) => {
    t.timeout(240_000);
    const [cp, crds] = await startTogether([startControlPlane(), chartsCrdDirs()]);
    try {
      const kc = cp.kubeconfigPath;
      await kubectl(kc, ['apply', '--server-side', ...crds.flatMap((c) => c.files.flatMap((f) => ['-f', f]))]);
      await kubectl(kc, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
      for (const namespace of installedNamespaces) await kubectl(kc, ['create', 'namespace', namespace]);

      const dir = join(manifests, profile);
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .sort();
      const expected = files.flatMap((f) =>
        parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
          const o = d.toJS() as { kind: string; metadata: { name: string; namespace?: string } };
          return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        }),
      );
      // Namespaces first (one real apply), then every file in order: a real server-side apply runs admission
      // (including Pod Security "restricted" checks on pod templates) and every CRD's OpenAPI schema.
      await kubectl(kc, [
        'apply',
        '--server-side',
        '--field-manager=content-factory',
        '-f',
        join(dir, '01-namespaces.yaml'),
      ]);
      const { stdout, stderr } = await kubectl(kc, [
        'apply',
        '--server-side',
        '--field-manager=content-factory',
        ...files.flatMap((f) => ['-f', join(dir, f)]),
      ]);
      t.is(stderr.trim(), '', 'kubectl printed warnings');
      t.is(stdout.trim().split('\n').length, expected.length, stdout);

      // Everything is really there.
      const listed = await kubectl(kc, [
        'get',
        'namespaces,networkpolicies,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,configmaps,services,deployments,statefulsets,daemonsets,jobs,poddisruptionbudgets,horizontalpodautoscalers,priorityclasses,objectstores.barmancloud.cnpg.io,clusters.postgresql.cnpg.io,databases.postgresql.cnpg.io,scheduledbackups.postgresql.cnpg.io,gateways,httproutes,clusterissuers,certificates,prometheuses,alertmanagers,podmonitors,servicemonitors,prometheusrules,secrets,cronjobs,persistentvolumeclaims',
        '-A',
        '-o',
        'jsonpath={range .items[*]}{.kind}/{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
      ]);
      const present = new Set(listed.stdout.trim().split('\n'));
      t.deepEqual(
        expected.filter((e) => !present.has(e)),
        [],
      );
    } finally {
      await cp.stop();
    }
  });
}
