import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { dashboards, panelQueries } from '../../charts-ts/src/charts/observability/dashboards/index.ts';
import { services } from '../../charts-ts/src/platform.ts';
import { resolveBinary } from '../support/binaries.ts';
import { scratchDir } from '../support/process.ts';
import { observabilityObjects, profilesUnderTest } from './stack.ts';

const run = promisify(execFile);

test("every dashboard passes the Grafana Foundation SDK's strict decoding and Validate() (its Go types)", async (t) => {
  t.timeout(600_000);
  const dir = scratchDir('dashboards');
  const files = Object.entries(dashboards()).map(([name, d]) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(d));
    return file;
  });
  const bin = (await resolveBinary('obs-dashboards')).path;
  const { stdout } = await run(bin, files, { timeout: 60_000 }).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? String(error),
  }));
  const results = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { file: string; errors: string[] });
  t.is(results.length, files.length);
  t.deepEqual(
    results.filter((r) => r.errors.length > 0),
    [],
  );
});

test('there is an overview, a Vault, a Telegram, a PostgreSQL dashboard and one RED dashboard per service', (t) => {
  const uids = Object.values(dashboards()).map((d) => d.uid);
  for (const uid of [
    'cf-overview',
    'cf-vault',
    'cf-telegram',
    'cf-postgres',
    ...services.map((s) => `cf-red-${s.name}`),
  ]) {
    t.true(uids.includes(uid), uid);
  }
  t.is(new Set(uids).size, uids.length, 'dashboard uids are unique');
});

test('every panel queries the provisioned Prometheus datasource and has at least one query', (t) => {
  for (const d of Object.values(dashboards())) {
    for (const panel of (d.panels ?? []) as {
      type: string;
      title: string;
      targets?: { datasource?: { uid?: string } }[];
    }[]) {
      if (panel.type === 'row') continue;
      t.true((panel.targets ?? []).length > 0, `${d.uid}/${panel.title}`);
      for (const target of panel.targets ?? []) t.is(target.datasource?.uid, 'prometheus', `${d.uid}/${panel.title}`);
    }
    t.true(panelQueries(d).length > 0);
  }
});

test('Grafana is provisioned with the Prometheus, Alertmanager and Elasticsearch datasources, anonymous access off', (t) => {
  for (const profile of profilesUnderTest) {
    const objects = observabilityObjects(profile);
    const provisioning = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-provisioning');
    const sources = parse((provisioning!['data'] as Record<string, string>)['datasources.yaml']!) as {
      datasources: { uid: string; type: string }[];
    };
    t.deepEqual(sources.datasources.map((d) => `${d.uid}:${d.type}`).sort(), [
      'alertmanager:alertmanager',
      'elasticsearch:elasticsearch',
      'prometheus:prometheus',
    ]);
    const grafana = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'grafana')!;
    const env = (
      grafana['spec'] as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
    ).template.spec.containers[0]!.env;
    const value = (name: string): string | undefined => env.find((e) => e.name === name)?.value;
    t.is(value('GF_AUTH_ANONYMOUS_ENABLED'), 'false');
    t.is(value('GF_SECURITY_ADMIN_PASSWORD__FILE'), '/vault/secrets/admin-password');
    t.is(value('GF_SECURITY_ADMIN_PASSWORD'), undefined, 'no password in the manifest');
    const dashboardsMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-dashboards')!;
    t.true(JSON.stringify(dashboardsMap).length < 900_000, 'dashboards fit one ConfigMap (1 MiB limit)');
  }
});

test('the SDK validation is strict: a panel with a field Grafana does not know is rejected', async (t) => {
  t.timeout(600_000);
  const broken = JSON.parse(JSON.stringify(Object.values(dashboards())[0])) as { panels: Record<string, unknown>[] };
  broken.panels[1]!['colour'] = 'red';
  const file = join(scratchDir('dashboards-broken'), 'broken.json');
  writeFileSync(file, JSON.stringify(broken));
  const bin = (await resolveBinary('obs-dashboards')).path;
  const error = await run(bin, [file], { timeout: 60_000 }).then(
    () => undefined,
    (e: { stdout?: string }) => e,
  );
  t.regex(error?.stdout ?? '', /unexpected field 'colour'/);
});
