import test from 'ava';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { evaluateTiltfile } from '../support/charts-tools.ts';
import { versions } from '../support/versions.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tiltfile = join(repo, 'Tiltfile');
const registry = { 'local-registry-hosting': 'host: "localhost:5001"' };
const images: [string, string][] = [
  ['api-gateway', 'services/api-gateway'],
  ['integration-service', 'services/integration-service'],
  ['user-service', 'services/user-service'],
  ['web', 'services/web'],
  ['vault-unsealer', 'operators/vault-unsealer'],
];

const devObjects = (): { kind: string; name: string }[] =>
  ['00-cluster', '01-namespaces', '02-network-policies', '03-data', '04-vault', '05-apps', '06-tls-entry'].flatMap(
    (f) =>
      parseAllDocuments(readFileSync(join(repo, 'manifests/dev', `${f}.yaml`), 'utf8')).map((d) => {
        const o = d.toJS() as { kind: string; metadata: { name: string } };
        return { kind: o.kind, name: o.metadata.name };
      }),
  );

/** A copy of the repository's Tilt inputs where every service already has a Dockerfile and sources. */
function treeWithAllDockerfiles(): string {
  const root = mkdtempSync(join(tmpdir(), 'cf-tilt-'));
  cpSync(tiltfile, join(root, 'Tiltfile'));
  symlinkSync(join(repo, 'manifests'), join(root, 'manifests'));
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'services/kit/src/index.ts']) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  for (const [, dir] of images) {
    mkdirSync(join(root, dir, 'src'), { recursive: true });
    writeFileSync(join(root, dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(root, dir, 'package.json'), '{}');
  }
  return root;
}

test('the Tiltfile evaluates with every dev workload, every dev object and the add-on installs as resources', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const names = result.resources.map((r) => r.name);
  for (const name of ['gateway-api-crds', 'cert-manager', 'cloudnative-pg', 'traefik', 'gateway-class']) {
    t.is(result.resources.find((r) => r.name === name)?.type, 'local', name);
  }
  const objects = devObjects();
  const workloadKinds = ['Deployment', 'StatefulSet'];
  for (const o of objects.filter((x) => workloadKinds.includes(x.kind))) t.true(names.includes(o.name), o.name);
  // No object lands in Tilt's "uncategorized": each belongs to a named resource.
  const attached = result.resources.flatMap((r) => r.objects);
  t.is(attached.length, objects.filter((o) => !workloadKinds.includes(o.kind)).length);
  t.is(result.yamlFiles.length, 7);
  t.deepEqual(result.allowedContexts, ['kind-content-factory']);
});

test('Tilt deploys operators before postgres, and vault before the unsealer before the services', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const deps = (name: string): string[] => result.resources.find((r) => r.name === name)?.resourceDeps ?? [];
  t.true(deps('postgres').includes('cloudnative-pg'));
  t.true(deps('cluster-base').includes('cert-manager'));
  t.true(deps('tls-entry').includes('gateway-class'));
  t.true(deps('vault-unsealer').includes('vault'));
  t.true(deps('vault-unsealer').includes('postgres'));
  for (const service of ['api-gateway', 'user-service', 'integration-service']) {
    t.true(deps(service).includes('vault-unsealer'), service);
  }
  t.true(deps('user-service').includes('postgres'));
});

test('Tilt port-forwards the Vault UI and labels every resource', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.deepEqual(result.resources.find((r) => r.name === 'vault')?.portForwards, [
    { localPort: 8200, containerPort: 8200 },
  ]);
  for (const r of result.resources) t.true(r.labels.length > 0, r.name);
});

test('the Tiltfile builds an image exactly for each service whose Dockerfile exists', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const present = images.filter(([, dir]) => existsSync(join(repo, dir, 'Dockerfile'))).map(([name]) => `cf/${name}`);
  t.deepEqual(result.images.map((i) => i.ref).sort(), present.sort());
});

test('with every Dockerfile present, each image live-updates its own sources and the kit', async (t) => {
  const root = treeWithAllDockerfiles();
  const result = await evaluateTiltfile(join(root, 'Tiltfile'), { local: registry });
  t.deepEqual(result.images.map((i) => i.ref).sort(), images.map(([name]) => `cf/${name}`).sort());
  for (const image of result.images) {
    const dir = images.find(([name]) => `cf/${name}` === image.ref)![1];
    t.is(image.dockerfile, join(root, dir, 'Dockerfile'));
    t.is(image.liveUpdate[0]?.type, 'fall_back_on');
    t.deepEqual(
      image.liveUpdate.filter((s) => s.type === 'sync').map((s) => s.remotePath),
      ['/app/services/kit/src', `/app/${dir}/src`],
    );
  }
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
    original.replace("resource_deps=['vault', 'postgres']", "resource_deps=['vault', 'postgress']"),
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
