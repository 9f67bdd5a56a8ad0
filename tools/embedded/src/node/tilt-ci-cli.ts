// `node tools/embedded/src/node/tilt-ci-cli.ts [resource …]`: real Tilt's `tilt ci` on the real node of test/e2e
// (no kind, no Docker): podman's Docker-compatible API socket builds the dev images, a registry built from
// github.com/distribution/distribution/v3 on 127.0.0.1:5001 (the Tiltfile's REGISTRY) holds them, and the node's
// containerd pulls them from there (plain HTTP: containerd treats a localhost registry so). The Tiltfile runs as it
// is; only the downloads of its add-on commands are redirected, by `kubectl` and `helm` wrappers first on PATH, to
// the local copies the real-node suite uses (add-ons.ts). Needs root, a Tilt binary (CF_TILT_BIN) and port 5001
// free. Arguments: the resources `tilt ci` runs (default: those whose images exist here). Nothing leaves the machine.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryCacheDir, go } from '../binaries.ts';
import { evaluateTiltfile } from '../charts-tools.ts';
import { podman, podmanEnv } from '../containers.ts';
import { freePort, scratchDir, spawnManaged, waitFor, type ManagedProcess } from '../process.ts';
import { addOnSources, helmBinary, TILT_CONTEXT } from './add-ons.ts';
import { startNode, type RunningNode } from './node.ts';
import { openbaoImage, operatorImages, postgresImageName, traefikImage } from './platform-images.ts';
import { createVolumePool } from './storage.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const REGISTRY_PORT = 5001;
const REGISTRY_VERSION = 'v3.1.2';
const log = (line: string): void => console.log(`  ${line}`);

/**
 * The resources whose images exist on this machine: all but the `logging` label's and Grafana's (Grafana, Logstash,
 * Kibana cannot be built here, FACTS.md), the monitoring workloads whose images this script does not import, the
 * manual backup job and `synth` (rewriting manifests/dev would reload the Tiltfile mid-run). `observability` (the
 * monitoring objects, its PodMonitors among them) and its CRDs stay: the services' PodMonitors need them.
 */
const LEFT_OUT = ['grafana', 'kube-state-metrics', 'prometheus-operator', 'prometheus-ui', 'alertmanager-ui'];
async function defaultResources(): Promise<string[]> {
  const tiltfile = await evaluateTiltfile(join(repo, 'Tiltfile'), {
    context: TILT_CONTEXT,
    local: { 'local-registry-hosting': `host: "localhost:${REGISTRY_PORT}"` },
  });
  return tiltfile.resources
    .filter((r) => !r.labels.includes('logging'))
    .map((r) => r.name)
    .filter((name) => ![...LEFT_OUT, 'vault-backup', 'synth'].includes(name));
}

/** CF_TILT_BIN, or the newest `tilt-*` in the binary cache; Tilt's Go module is not served, so it is built by hand. */
function tiltBinary(): string {
  const fromEnv = process.env['CF_TILT_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const cached = readdirSync(binaryCacheDir())
    .filter((f) => /^tilt-[0-9a-f]+$/.test(f))
    .map((f) => join(binaryCacheDir(), f));
  if (cached.length === 0)
    throw new Error(
      'no Tilt: build it from a checkout of github.com/tilt-dev/tilt (`go build -mod=vendor -o …/tilt ./cmd/tilt`) ' +
        'and set CF_TILT_BIN to it',
    );
  return cached.sort()[cached.length - 1]!;
}

/** distribution's registry, built once into the binary cache from its Go module. */
async function registryBinary(): Promise<string> {
  const dir = join(binaryCacheDir(), `registry-${REGISTRY_VERSION}`);
  const binary = join(dir, 'registry');
  if (!existsSync(binary)) {
    log(`building github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}`);
    await go(
      ['install', `github.com/distribution/distribution/v3/cmd/registry@${REGISTRY_VERSION}`],
      homedir(),
      { CGO_ENABLED: '0', GOBIN: dir, GOFLAGS: '-mod=mod' },
      log,
    );
  }
  return binary;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The registry on 127.0.0.1:5001, storing in a scratch directory; no proxy, no notifications. */
async function startRegistry(dir: string): Promise<ManagedProcess> {
  if (!(await portFree(REGISTRY_PORT)))
    throw new Error(`127.0.0.1:${REGISTRY_PORT} is taken (the Tiltfile's REGISTRY must be this port)`);
  const config = join(dir, 'registry.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: info}',
      'storage:',
      `  filesystem: {rootdirectory: ${join(dir, 'registry')}}`,
      '  delete: {enabled: true}',
      'http:',
      `  addr: 127.0.0.1:${REGISTRY_PORT}`,
      '',
    ].join('\n'),
  );
  const registry = spawnManaged(await registryBinary(), ['serve', config], {
    name: 'registry',
    logFile: join(dir, 'registry.log'),
    // v3 exports OpenTelemetry traces to localhost:4318 by default; nothing collects them here.
    env: { OTEL_TRACES_EXPORTER: 'none' },
  });
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${REGISTRY_PORT}/v2/`, { signal: AbortSignal.timeout(1000) })).ok,
    { what: 'the registry to answer', process: registry, timeoutMs: 20_000 },
  );
  return registry;
}

/**
 * podman's Docker-compatible API on a socket of its own: the harness's containers.conf (runc), builds on the host
 * network as the harness builds (`npm ci` reaches the npm registry), and 127.0.0.1:5001 marked plain HTTP.
 */
async function startPodmanService(dir: string): Promise<{ process: ManagedProcess; dockerHost: string }> {
  const env = podmanEnv();
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    `${readFileSync(env['CONTAINERS_CONF']!, 'utf8').replace('[containers]\n', '[containers]\nnetns = "host"\n')}`,
  );
  const registries = join(dir, 'registries.conf');
  writeFileSync(
    registries,
    `unqualified-search-registries = []\n\n[[registry]]\nlocation = "localhost:${REGISTRY_PORT}"\ninsecure = true\n`,
  );
  const socket = join(dir, 'podman.sock');
  const service = spawnManaged('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    name: 'podman-service',
    logFile: join(dir, 'podman-service.log'),
    env: { CONTAINERS_CONF: conf, CONTAINERS_REGISTRIES_CONF: registries },
  });
  const dockerHost = `unix://${socket}`;
  await waitFor(async () => existsSync(socket), {
    what: 'the podman API socket',
    process: service,
    timeoutMs: 180_000,
  });
  return { process: service, dockerHost };
}

/** `kubectl`/`helm` wrappers that swap each download the Tiltfile names for its local copy, and refuse any other. */
async function downloadWrappers(dir: string, node: RunningNode): Promise<string> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const cases: string[] = [];
  for (const [url, make] of Object.entries(addOnSources(node.binaries.kubectl)))
    cases.push(`    '${url}') a='${await make()}' ;;`);
  const wrapper = (real: string): string =>
    [
      '#!/bin/sh',
      '# Working copy of a Tiltfile command: downloads become local copies (tilt-ci-cli.ts).',
      'for a; do',
      '  shift',
      '  case "$a" in',
      ...cases,
      '    http://*|https://*|oci://*) echo "no local copy for $a" >&2; exit 1 ;;',
      '  esac',
      '  set -- "$@" "$a"',
      'done',
      `exec '${real}' "$@"`,
      '',
    ].join('\n');
  for (const [name, real] of [
    ['kubectl', node.binaries.kubectl],
    ['helm', helmBinary()],
  ] as const) {
    writeFileSync(join(bin, name), wrapper(real));
    chmodSync(join(bin, name), 0o755);
  }
  // A Tilt built from source embeds no web UI and starts the UI's dev server with `yarn` (pkg/assets/dev.go); `tilt
  // ci` opens no UI, so this `yarn` installs nothing and its "dev server" only waits to be ended with Tilt.
  writeFileSync(join(bin, 'yarn'), '#!/bin/sh\n[ "$1" = install ] && exit 0\nexec sleep 86400\n');
  chmodSync(join(bin, 'yarn'), 0o755);
  return bin;
}

/** kind's cluster script's side of the node: the registry hookup ConfigMap and the ingress-ready label. */
async function likeKind(node: RunningNode): Promise<string> {
  await node.kubectl(['label', 'node', node.layout.nodeName, 'ingress-ready=true', '--overwrite']);
  await node.kubectl(
    ['apply', '--server-side', '-f', '-'],
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: local-registry-hosting, namespace: kube-public}',
      'data:',
      '  localRegistryHosting.v1: |',
      `    host: "localhost:${REGISTRY_PORT}"`,
      '',
    ].join('\n'),
  );
  const kubeconfig = join(node.state.dir, 'tilt-ci-kubeconfig');
  writeFileSync(kubeconfig, readFileSync(node.kubeconfigPath, 'utf8').replaceAll('cf-node', TILT_CONTEXT));
  return kubeconfig;
}

/** Runs `tilt ci` to its end (Tilt's own --timeout bounds it); its output goes to `logFile`, printed at the end. */
async function tiltCi(tilt: string, env: NodeJS.ProcessEnv, resources: string[], logFile: string): Promise<number> {
  const port = await freePort();
  const args = ['ci', '--file', join(repo, 'Tiltfile'), '--host', '127.0.0.1', '--port', String(port)];
  args.push('--timeout', '20m', ...resources);
  log(`${tilt} ${args.join(' ')} (output: ${logFile})`);
  // Managed: if this script is ended, Tilt ends with it.
  const child = spawnManaged(tilt, args, { name: 'tilt', logFile, env, cwd: repo });
  const code = await child.exited;
  console.log(readFileSync(logFile, 'utf8'));
  return typeof code === 'number' ? code : 1;
}

if (process.getuid?.() !== 0) {
  console.error('tilt-ci-cli needs root: the real node creates a bridge, cgroups, iptables rules and namespaces.');
  process.exit(1);
}
const dir = scratchDir('tilt-ci');
const resources = process.argv.slice(2).length > 0 ? process.argv.slice(2) : await defaultResources();
const tilt = tiltBinary();
log('images the Tiltfile does not build (cached by version)…');
const archives = [
  (await openbaoImage()).archive,
  ...(await operatorImages(postgresImageName(), log)).map((i) => i.archive),
  (await traefikImage(log)).archive,
];
const started: { stop(): Promise<void> }[] = [];
let node: RunningNode | undefined;
let code = 1;
try {
  started.push(await startRegistry(dir));
  const podmanService = await startPodmanService(dir);
  started.push(podmanService.process);
  node = await startNode({ images: archives, progress: log });
  await createVolumePool(node, 6, '2Gi');
  const kubeconfig = await likeKind(node);
  const bin = await downloadWrappers(dir, node);
  code = await tiltCi(
    tilt,
    {
      ...process.env,
      PATH: `${bin}:${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
      KUBECONFIG: kubeconfig,
      DOCKER_HOST: podmanService.dockerHost,
      // podman's API has no BuildKit session endpoint (/session): Tilt uploads the context as a tar instead.
      DOCKER_BUILDKIT: '0',
      HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
      HELM_DATA_HOME: join(dir, 'helm', 'data'),
      // No usage reports, no Tilt Cloud.
      TILT_DISABLE_ANALYTICS: '1',
      DO_NOT_TRACK: '1',
      TILT_CLOUD_ADDRESS: '127.0.0.1:9',
    },
    resources,
    join(dir, 'tilt-ci.log'),
  );
  const pods = await node.kubectl(['get', 'pods', '-A', '-o', 'wide']).catch((e: Error) => e.message);
  console.log(pods);
} finally {
  log(`tilt ci exited ${code}; logs in ${dir} and ${node?.state.dir ?? '(no node)'}/logs; stopping`);
  await node?.stop();
  for (const server of started.reverse()) await server.stop();
  // Under the image-store lock: a prune while a test elsewhere on the machine builds breaks that build's cache lookup.
  await podman(['image', 'prune', '-f']).catch((error: Error) => log(`image prune failed: ${error.message}`));
}
process.exit(code);
