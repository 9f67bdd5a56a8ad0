import test from 'ava';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { chartIds } from '../../charts-ts/src/app.ts';
import { evaluateTiltfile, execFileAsync, type TiltResult } from '../support/charts-tools.ts';
import { buildImage, projectImages, runContainer, serviceBuild } from '../support/containers.ts';
import { waitFor } from '../support/process.ts';
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
/** The Node services whose image is not the shared Dockerfile's: the web adds a Vite build in its own. */
const ownDockerfile = ['services/web'];
/** The Dockerfile each image builds from, relative to the repository root. */
const dockerfileOf = (dir: string): string => (ownDockerfile.includes(dir) ? `${dir}/Dockerfile` : 'Dockerfile');

const devObjects = (): { kind: string; name: string }[] =>
  chartIds.flatMap((f) =>
    parseAllDocuments(readFileSync(join(repo, 'manifests/dev', `${f}.yaml`), 'utf8')).map((d) => {
      const o = d.toJS() as { kind: string; metadata: { name: string } };
      return { kind: o.kind, name: o.metadata.name };
    }),
  );

/** A copy of the repository's Tilt inputs with the shared Node service Dockerfile, the web's own, and sources. */
function treeWithAllDockerfiles(): string {
  const root = mkdtempSync(join(tmpdir(), 'cf-tilt-'));
  cpSync(tiltfile, join(root, 'Tiltfile'));
  symlinkSync(join(repo, 'manifests'), join(root, 'manifests'));
  for (const file of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'services/kit/src/index.ts',
    'charts-ts/src/app.ts',
  ]) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  writeFileSync(join(root, 'Dockerfile'), 'FROM scratch AS dev\n');
  for (const [, dir] of images) {
    mkdirSync(join(root, dir, 'src'), { recursive: true });
    if (ownDockerfile.includes(dir)) writeFileSync(join(root, dir, 'Dockerfile'), 'FROM scratch AS dev\n');
    mkdirSync(join(root, dir, 'dist'), { recursive: true });
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

test('the Tiltfile builds each Node service from the shared Dockerfile with SERVICE naming it, the web from its own', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.deepEqual(result.images.map((i) => i.ref).sort(), images.map(([name]) => `cf/${name}`).sort());
  for (const [name, dir] of images) {
    const image = result.images.find((i) => i.ref === `cf/${name}`);
    t.is(image?.dockerfile, join(repo, dockerfileOf(dir)), name);
    t.deepEqual(image?.buildArgs, ownDockerfile.includes(dir) ? {} : { SERVICE: dir }, name);
  }
});

test('with every Dockerfile present, each image live-updates its own sources (the web: its build and server) and the kit', async (t) => {
  const root = treeWithAllDockerfiles();
  const result = await evaluateTiltfile(join(root, 'Tiltfile'), { local: registry });
  t.deepEqual(result.images.map((i) => i.ref).sort(), images.map(([name]) => `cf/${name}`).sort());
  for (const image of result.images) {
    const dir = images.find(([name]) => `cf/${name}` === image.ref)![1];
    t.is(image.dockerfile, join(root, dockerfileOf(dir)));
    t.is(image.liveUpdate[0]?.type, 'fall_back_on');
    t.deepEqual(
      image.liveUpdate.filter((s) => s.type === 'sync').map((s) => s.remotePath),
      dir === 'services/web'
        ? ['/app/services/kit/src', '/app/services/web/dist', '/app/services/web/server']
        : ['/app/services/kit/src', `/app/${dir}/src`],
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

// --- Tilt's own rules (FACTS.md "Learned from trying the platform"), modelled by the Starlark runner ---------

type Resource = TiltResult['resources'][number];
const resourceNamed = (result: TiltResult, name: string): Resource => {
  const found = result.resources.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no resource ${name}`);
  return found;
};
/** Every resource `name` waits for before its first deploy, transitively. */
const upstream = (result: TiltResult, name: string, seen = new Set<string>()): Set<string> => {
  for (const dep of resourceNamed(result, name).resourceDeps) {
    if (!seen.has(dep)) upstream(result, dep, seen.add(dep));
  }
  return seen;
};
const commands = (result: TiltResult): string[] => [
  ...result.localCalls,
  ...result.resources.flatMap((r) => (r.cmd === undefined ? [] : [r.cmd])),
];
/** Each `kubectl …`/`helm …` invocation in a shell command line, up to the next pipe, `&&`, `||`, `;` or `)`. */
const invocations = (command: string, tool: 'kubectl' | 'helm'): string[] =>
  [...command.matchAll(new RegExp(`\\b${tool}\\s[^|;&)]*`, 'g'))].map((m) => m[0]);

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

test('defect 3: every add-on command is idempotent (server-side apply or helm upgrade --install, no patch or create)', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  for (const command of commands(result)) {
    for (const kubectl of invocations(command, 'kubectl')) {
      t.notRegex(kubectl, /\s(patch|edit|replace|create(?![^]*--dry-run))\s/, kubectl);
      if (/\sapply\s/.test(kubectl)) t.regex(kubectl, /--server-side/, kubectl);
    }
    for (const helm of invocations(command, 'helm')) t.notRegex(helm, /\shelm\s+install\s|^helm install\s/, helm);
  }
  // cert-manager's Gateway API support is set at install time, where the next install sets it again.
  t.regex(resourceNamed(result, 'cert-manager').cmd ?? '', /enableGatewayAPI=true/);
});

test('every kubectl and helm call names the kind context, so Tilt never acts on another cluster', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  for (const command of commands(result)) {
    for (const kubectl of invocations(command, 'kubectl'))
      t.regex(kubectl, /--context[= ]kind-content-factory/, kubectl);
    for (const helm of invocations(command, 'helm')) {
      if (/\s(upgrade|install|uninstall|status|list)\s/.test(helm)) {
        t.regex(helm, /--kube-context[= ]kind-content-factory/, helm);
      }
    }
  }
});

/** The instruction lines a Dockerfile stage `FROM … AS name` runs, its parent stages' included. */
function stage(dockerfile: string, name: string): string[] {
  const lines = readFileSync(dockerfile, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const start = lines.findIndex((l) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'i').test(l));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
  const parent = /^FROM\s+(\S+)/i.exec(lines[start]!)?.[1] ?? '';
  const inherited = parent.includes('/') ? [] : stage(dockerfile, parent);
  return [...inherited, ...lines.slice(start, end < 0 ? undefined : end)];
}
/** Every Dockerfile the Node service images build from. */
const dockerfiles = [...new Set(images.map(([, dir]) => dockerfileOf(dir)))];

test('defect 4: each image Tilt builds is its Dockerfile dev stage, whose process restarts when a synced file changes', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.true(result.images.length > 0);
  for (const image of result.images) {
    t.is(image.target, 'dev', image.ref);
    const cmd = stage(image.dockerfile, 'dev').find((l) => /^CMD\s/i.test(l)) ?? '';
    t.regex(cmd, /"--watch"/, image.ref);
    // A crash must end the container (the kubelet restarts it); `node --watch` would wait for a file change.
    t.regex(cmd, /"--exitcrash"/, image.ref);
  }
});

test('defect 5: dependencies install before sources are copied, and the runtime stages own their files as uid 1000', (t) => {
  for (const name of dockerfiles) {
    const text = readFileSync(join(repo, name), 'utf8').replace(/\\\n/g, ' ');
    const lines = text.split('\n').filter((l) => /^(FROM|COPY|RUN|USER)\s/i.test(l));
    const install = lines.findIndex((l) => /^RUN\s.*npm ci/i.test(l));
    t.true(install > 0, `${name}: an npm ci step`);
    // Before the first install only package manifests arrive (a stage that strips the tree to them counts).
    for (const line of lines.slice(0, install)) {
      if (/^COPY\s/i.test(line) && !/--from=/i.test(line)) t.regex(line, /package(-lock)?\.json/, `${name}: ${line}`);
    }
    for (const target of ['dev', 'runtime']) {
      const body = stage(join(repo, name), target);
      t.true(body.length > 0, `${name}: a ${target} stage`);
      t.true(body.includes('USER 1000:1000'), `${name} ${target}: USER 1000:1000`);
      for (const copy of body.filter((l) => /^COPY\s/i.test(l) && !/node_modules/.test(l))) {
        t.regex(copy, /--chown=1000:1000/, `${name} ${target}: ${copy}`);
      }
    }
  }
});

test('defect 6: web live-updates the dist/ that a watch build keeps current, which is what its server serves', async (t) => {
  const root = treeWithAllDockerfiles();
  const result = await evaluateTiltfile(join(root, 'Tiltfile'), { local: registry });
  const web = result.images.find((i) => i.ref === 'cf/web');
  const syncs = web?.liveUpdate.filter((s) => s.type === 'sync').map((s) => s.remotePath) ?? [];
  t.true(syncs.includes('/app/services/web/dist'));
  t.false(syncs.includes('/app/services/web/src'));
  const build = result.resources.find((r) => r.type === 'local' && /vite build[^|;&]*--watch/.test(r.serveCmd ?? ''));
  t.truthy(build, 'a local_resource serving `vite build --watch`');
  // The server serves WEB_ROOT, whose default is that dist/ (services/web/server/config.ts).
  t.regex(readFileSync(join(repo, 'services/web/server/config.ts'), 'utf8'), /WEB_ROOT: .*'\.\.\/dist'/);
});

/** kind's own files for the pinned kind version, from the Go module cache. */
async function kindModuleDir(): Promise<string> {
  const { module, version } = versions.kind;
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

test("defect 7: the registry patch uses the plugin key of the pinned kind node's containerd config format", async (t) => {
  const base = readFileSync(join(await kindModuleDir(), 'images/base/files/etc/containerd/config.toml'), 'utf8');
  const format = Number(/^version\s*=\s*(\d+)/m.exec(base)?.[1]);
  const config = parseAllDocuments(readFileSync(join(repo, 'kind-config.yaml'), 'utf8'))[0]?.toJS() as {
    containerdConfigPatches: string[];
    nodes: { image?: string }[];
  };
  const key = format === 2 ? 'io.containerd.grpc.v1.cri' : 'io.containerd.cri.v1.images';
  t.true(
    config.containerdConfigPatches.some((p) => p.includes(`[plugins."${key}".registry]`)),
    key,
  );
  for (const node of config.nodes) t.is(node.image, versions.kind.nodeImage);
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

// --- what real Tilt (built from tilt-dev/tilt, `tilt alpha tiltfile-result` against a real API server) reported ---

test('the registry check reaches kubectl with its dotted ConfigMap key escaped, through the sh -c Tilt runs local() with', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  const check = result.localCalls.find((c) => c.includes('local-registry-hosting'));
  if (check === undefined) throw new Error('no local() call reads the local-registry-hosting ConfigMap');
  // A shell function in kubectl's place prints, one per line, the arguments sh hands it. Unquoted, sh turned
  // `\.` into `.`: kubectl then read key `localRegistryHosting`, found nothing, and every load failed.
  const { stdout } = await execFileAsync('sh', ['-c', `kubectl() { printf '%s\\n' "$@"; }; ${check}`]);
  const args = stdout.split('\n');
  t.is(args[args.indexOf('-o') + 1], 'jsonpath={.data.localRegistryHosting\\.v1}');
});

test('each kubectl and helm call a Tiltfile command spells runs under sh -c, and what it reads from stdin is YAML', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  // Functions in the tools' place print each call, and for `-f -` the document they read, on fd 3 (a command's
  // `>/dev/null` must not hide a call). A here-document whose
  // delimiter shares its line (`YAML && kubectl … rollout status`) never ends: the next step became YAML.
  const stub = (tool: string): string =>
    `${tool}() { printf '\\036${tool} %s\\n' "$*" >&3; case " $* " in *' -f - '*) cat >&3 ;; esac; }`;
  for (const r of result.resources.filter((x) => x.type === 'local' && /\b(kubectl|helm)\s/.test(x.cmd ?? ''))) {
    const { stdout } = await execFileAsync('sh', ['-c', `exec 3>&1\n${stub('kubectl')}\n${stub('helm')}\n${r.cmd!}`]);
    const calls = stdout.split('\x1e').slice(1);
    const spelt = [...invocations(r.cmd!, 'kubectl'), ...invocations(r.cmd!, 'helm')];
    t.is(calls.length, spelt.length, `${r.name}: ${calls.map((c) => c.split('\n')[0]).join(' | ')}`);
    for (const call of calls.filter((c) => / -f - /.test(`${c.split('\n')[0]} `))) {
      const documents = parseAllDocuments(call.slice(call.indexOf('\n') + 1));
      t.deepEqual(
        documents.flatMap((d) => d.errors.map((e) => e.message)),
        [],
        r.name,
      );
    }
  }
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

test("the README's kind path is two commands: the cluster script, then tilt up", (t) => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Run it on kind (Tilt)'));
  const block = /```sh\n([^]*?)```/.exec(section)?.[1] ?? '';
  const steps = block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  t.deepEqual(steps, ['dev/kind-cluster.sh', 'tilt up']);
});

test('the cluster script is valid bash, pins the kind version the tests validate and uses kind-config.yaml', async (t) => {
  const script = join(repo, 'dev/kind-cluster.sh');
  await execFileAsync('bash', ['-n', script]);
  const text = readFileSync(script, 'utf8');
  t.is(/^KIND_VERSION=(\S+)$/m.exec(text)?.[1], versions.kind.version);
  t.regex(text, /kind create cluster --config "\$ROOT\/kind-config\.yaml"/);
  t.regex(text, /^REGISTRY_PORT=5001$/m, "the Tiltfile's REGISTRY");
  t.regex(readFileSync(tiltfile, 'utf8'), /^REGISTRY = 'localhost:5001'$/m);
});

test('every command the Tiltfile runs parses as the POSIX shell Tilt runs it with (sh -c)', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  for (const r of result.resources.filter((x) => x.type === 'local')) {
    for (const command of [r.cmd, r.serveCmd].filter((c) => c !== undefined && c !== '')) {
      await t.notThrowsAsync(execFileAsync('sh', ['-n', '-c', command!]), r.name);
    }
  }
});

test('the Node services build from one Dockerfile, which names none of them: the build arg SERVICE does', (t) => {
  const built = projectImages();
  t.deepEqual(built.map((i) => i.name).sort(), images.map(([name]) => name).sort());
  for (const [name, dir] of images.filter(([, d]) => !ownDockerfile.includes(d))) {
    const image = built.find((i) => i.name === name);
    t.is(image?.dockerfile, join(repo, 'Dockerfile'), name);
    t.deepEqual(image?.buildArgs, { SERVICE: dir }, name);
    t.true(existsSync(join(repo, dir, 'src/main.ts')), `${name}: the program the Dockerfile runs`);
  }
  const instructions = readFileSync(join(repo, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'));
  for (const [, dir] of images)
    t.false(
      instructions.some((l) => l.includes(dir)),
      dir,
    );
});

test('live update on a dev image: the container user may rewrite a synced source, and the watcher (nodemon) serves the edit', async (t) => {
  const tag = 'localhost/cf/minimal-service:dev-test';
  const dir = 'test/fixtures/minimal-service';
  await buildImage({ ...serviceBuild(dir, 'services/kit'), tag, target: 'dev' });
  const container = await runContainer({ image: tag, readOnlyRoot: false });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/items/1`)).json(), { id: 1 });
  // What Tilt's sync does: write the file in place as the container's user (uid 1000, like Tilt's exec).
  const edit = await container.exec([
    'sed',
    '-i',
    's/ctx.body = { id: 1 };/ctx.body = { id: 1, synced: true };/',
    `/app/${dir}/src/main.ts`,
  ]);
  t.is(edit.code, 0, 'the synced file is writable by the runtime user');
  const served = async (): Promise<unknown> =>
    (await fetch(`${container.url}/items/1`, { signal: AbortSignal.timeout(1000) })).json();
  await waitFor(async () => JSON.stringify(await served().catch(() => null)) === '{"id":1,"synced":true}', {
    what: 'the restarted service to serve the edited route',
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  t.deepEqual(await served(), { id: 1, synced: true });
});
