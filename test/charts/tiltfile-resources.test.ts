import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { chartIds } from '../../charts-ts/src/app.ts';
import { evaluateTiltfile, type TiltResult } from '../support/charts-tools.ts';
import { versions } from '../support/versions.ts';
import { registry, repo, resourceNamed, tiltfile, treeWithAllDockerfiles } from './tilt-inputs.ts';

// The Tiltfile's resources: what each holds, what it waits for before its first deploy, and what refuses to run.

const devObjects = (): { kind: string; name: string }[] =>
  chartIds.flatMap((f) =>
    parseAllDocuments(readFileSync(join(repo, 'manifests/dev', `${f}.yaml`), 'utf8')).map((d) => {
      const o = d.toJS() as { kind: string; metadata: { name: string } };
      return { kind: o.kind, name: o.metadata.name };
    }),
  );

/** Every resource `name` waits for before its first deploy, transitively. */
const upstream = (result: TiltResult, name: string, seen = new Set<string>()): Set<string> => {
  for (const dep of resourceNamed(result, name).resourceDeps) {
    if (!seen.has(dep)) upstream(result, dep, seen.add(dep));
  }
  return seen;
};

test('the Tiltfile evaluates with every dev workload, every dev object and the add-on installs as resources', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const names = result.resources.map((r) => r.name);
  for (const name of ['gateway-api-crds', 'cert-manager', 'cloudnative-pg', 'traefik', 'gateway-class']) {
    t.is(result.resources.find((r) => r.name === name)?.type, 'local', name);
  }
  const objects = devObjects();
  // The Tiltfile's WORKLOAD_KINDS: Tilt makes a resource of each.
  const workloadKinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
  for (const o of objects.filter((x) => workloadKinds.includes(x.kind))) t.true(names.includes(o.name), o.name);
  // No object lands in Tilt's "uncategorized": each belongs to a named resource.
  const attached = result.resources.flatMap((r) => r.objects);
  t.is(attached.length, objects.filter((o) => !workloadKinds.includes(o.kind)).length);
  t.is(result.yamlFiles.length, chartIds.length);
  t.deepEqual(result.allowedContexts, ['kind-content-factory']);
});

test('Tilt deploys operators before postgres, and vault before the unsealer before the services', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const deps = (name: string): string[] => result.resources.find((r) => r.name === name)?.resourceDeps ?? [];
  t.true(deps('postgres').includes('cloudnative-pg'));
  t.true(deps('certificates').includes('cert-manager'));
  t.true(deps('tls-entry').includes('gateway-class'));
  t.true(deps('vault-unsealer').includes('vault'));
  t.true(deps('vault-unsealer').includes('postgres-ready'));
  for (const service of ['api-gateway', 'user-service', 'integration-service']) {
    t.true(deps(service).includes('vault-unsealer'), service);
  }
  t.true(deps('user-service').includes('postgres-ready'));
});

test('Tilt port-forwards the Vault UI and Kibana and labels every resource', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.deepEqual(result.resources.find((r) => r.name === 'vault')?.portForwards, [
    { localPort: 8200, containerPort: 8200 },
  ]);
  t.deepEqual(result.resources.find((r) => r.name === 'kibana')?.portForwards, [
    { localPort: 5601, containerPort: 5601 },
  ]);
  for (const r of result.resources) t.true(r.labels.length > 0, r.name);
});

test('the Tiltfile refuses to run without the local registry hookup', async (t) => {
  const error = await t.throwsAsync(evaluateTiltfile(tiltfile, { local: {} }));
  t.regex(error.message, /no local registry at localhost:5001/);
});

test('the Tiltfile refuses a kubectl context other than the kind cluster', async (t) => {
  const error = await t.throwsAsync(evaluateTiltfile(tiltfile, { local: registry, context: 'prod-cluster' }));
  t.regex(error.message, /kubectl context is prod-cluster/);
});

test('a misspelt argument or a dependency on a missing resource fails the evaluation', async (t) => {
  const root = treeWithAllDockerfiles();
  const original = readFileSync(join(root, 'Tiltfile'), 'utf8');
  writeFileSync(join(root, 'Tiltfile'), original.replace("port_forwards=['8200:8200']", "port_forward=['8200:8200']"));
  t.regex((await t.throwsAsync(evaluateTiltfile(join(root, 'Tiltfile'), { local: registry }))).message, /port_forward/);
  writeFileSync(
    join(root, 'Tiltfile'),
    original.replace("resource_deps=['vault', 'postgres-ready']", "resource_deps=['vault', 'postgress']"),
  );
  t.regex((await t.throwsAsync(evaluateTiltfile(join(root, 'Tiltfile'), { local: registry }))).message, /postgress/);
  writeFileSync(
    join(root, 'Tiltfile'),
    original.replace("MANIFESTS = 'manifests/dev'", "MANIFESTS = 'manifests/devv'"),
  );
  t.regex((await t.throwsAsync(evaluateTiltfile(join(root, 'Tiltfile'), { local: registry }))).message, /devv/);
});

test('the Tiltfile installs the versions the API-server tests validate against', (t) => {
  const text = readFileSync(tiltfile, 'utf8');
  const pinned = (name: string): string | undefined => new RegExp(`${name} = '([^']+)'`).exec(text)?.[1];
  t.is(pinned('GATEWAY_API_VERSION'), versions.crds.gatewayApi.version);
  t.is(pinned('CERT_MANAGER_VERSION'), versions.crds.certManager.version);
  t.is(pinned('CNPG_VERSION'), versions.crds.cloudnativePg.version);
  t.is(pinned('TRAEFIK_VERSION'), versions.node.traefik.version);
});

test('defect 1: Services Tilt pairs with a workload by selector are left to Tilt, not named again in objects', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.true(resourceNamed(result, 'vault').objects.includes('vault-internal:Service:cf-vault'));
  t.true(resourceNamed(result, 'vault').objects.includes('vault:Service:cf-vault'));
});

test('defect 2: with Vault Ready only once the unsealer has run, every resource still gets its first deploy', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry, podsReadyAfter: { vault: 'vault-unsealer' } });
  const stuck = result.resources.filter((r) => r.firstDeploy < 0 || r.ready < 0).map((r) => r.name);
  t.deepEqual(stuck, []);
});

test('defect 8: services that use the database first deploy after the CloudNativePG Cluster reports Ready', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const cluster = result.objects.find((o) => o.kind === 'Cluster' && o.apiVersion.startsWith('postgresql.cnpg.io'));
  if (cluster === undefined) throw new Error('no CloudNativePG Cluster in manifests/dev');
  const waits = result.resources.filter(
    (r) =>
      r.type === 'local' &&
      new RegExp(`wait [^|;&]*--for=condition=Ready[^|;&]*cluster(s\\.postgresql\\.cnpg\\.io)?/${cluster.name}`).test(
        r.cmd ?? '',
      ) &&
      (r.cmd ?? '').includes(`-n ${cluster.namespace}`),
  );
  t.is(waits.length, 1, 'one local_resource waits for the Cluster');
  const wait = waits[0]!;
  t.true(upstream(result, wait.name).has('postgres'));
  for (const service of ['vault-unsealer', 'user-service', 'integration-service']) {
    t.true(upstream(result, service).has(wait.name), service);
    t.true(resourceNamed(result, service).firstDeploy > resourceNamed(result, wait.name).ready, service);
  }
});

test("defect 9: cert-manager objects wait for cainjector's CA in their own resource, apart from namespaces and policies", async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const certManagerKinds = ['ClusterIssuer', 'Issuer', 'Certificate'];
  const kindOf = (selector: string): string => selector.split(':')[1] ?? '';
  const holders = result.resources.filter((r) => r.objects.some((o) => certManagerKinds.includes(kindOf(o))));
  t.true(holders.length > 0);
  for (const holder of holders) {
    t.deepEqual(
      holder.objects.filter((o) => !certManagerKinds.includes(kindOf(o))),
      [],
      `${holder.name} holds only cert-manager objects`,
    );
    t.true(upstream(result, holder.name).has('cert-manager'), holder.name);
  }
  for (const r of result.resources) {
    const isBase = r.objects.some((o) => ['Namespace', 'NetworkPolicy'].includes(kindOf(o)));
    if (isBase) t.false(upstream(result, r.name).has('cert-manager'), `${r.name} does not wait for cert-manager`);
  }
  // Ready means the webhook serves with the CA cainjector injected: a server-side dry run of an Issuer passes.
  const cmd = resourceNamed(result, 'cert-manager').cmd ?? '';
  t.regex(cmd, /rollout status deployment\/cert-manager-cainjector/);
  t.regex(cmd, /apply [^|;&]*--dry-run=server/);
});

test("each object of a CRD an add-on installs is in a resource that waits for that add-on's install", async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const installer: Record<string, string> = {
    'monitoring.coreos.com': 'prometheus-operator-crds',
    'cert-manager.io': 'cert-manager',
    'postgresql.cnpg.io': 'cloudnative-pg',
    'gateway.networking.k8s.io': 'gateway-api-crds',
  };
  const group = new Map(result.objects.map((o) => [`${o.name}:${o.kind}:${o.namespace}`, o.apiVersion.split('/')[0]!]));
  for (const r of result.resources) {
    for (const selector of r.objects) {
      const add = installer[group.get(selector.split(':').length === 2 ? `${selector}:` : selector) ?? ''];
      // Real Tilt's `tilt ci`: vault's apply failed 'no matches for kind "PodMonitor"' before the CRDs were installed.
      if (add !== undefined) t.true(upstream(result, r.name).has(add), `${r.name}: ${selector} needs ${add}`);
    }
  }
});

test("Tilt waits for a Job's pods to succeed and never for a CronJob's (its pod readiness by kind)", async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const setup = result.resources.filter((r) => r.name.startsWith('logging-setup-'));
  t.true(setup.length > 0);
  for (const job of setup) t.is(job.podReadiness, 'succeeded', job.name);
  t.is(resourceNamed(result, 'vault-backup').podReadiness, 'ignore');
  t.is(resourceNamed(result, 'api-gateway').podReadiness, 'wait');
  t.is(resourceNamed(result, 'postgres').podReadiness, 'ignore');
});

test('chart edits re-synthesize the manifests Tilt deploys', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const synth = result.resources.find((r) => r.type === 'local' && r.cmd === 'npm run synth');
  t.truthy(synth);
  t.true(synth?.deps.includes(join(repo, 'charts-ts/src')));
});
