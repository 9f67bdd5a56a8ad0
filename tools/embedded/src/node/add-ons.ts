// The Tiltfile's add-on installs, run on a RunningNode as `tilt up` runs them (same commands, same order, same
// waits), with what they would download taken from the Go module cache instead: the Gateway API CRDs, the
// cert-manager Helm chart and the CloudNativePG release manifest (kustomize of its config/default, as its Makefile's
// generate-manifest does). Nothing here reaches GitHub or a registry.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { binaryCacheDir } from '../binaries.ts';
import { versions } from '../build-versions.ts';
import { evaluateTiltfile } from '../charts-tools.ts';
import { scratchDir } from '../process.ts';
import type { RunningNode } from './node.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** The kube context every Tiltfile command names (`KIND_CONTEXT`). */
export const TILT_CONTEXT = 'kind-content-factory';

/** The CloudNativePG operator image its release manifest names. */
export const CNPG_IMAGE = `ghcr.io/cloudnative-pg/cloudnative-pg:${versions.crds.cloudnativePg.version.slice(1)}`;

/** Helm, built from its Go module into the binary cache by `prepareNode` (npm test's prepare step). */
export function helmBinary(): string {
  const { module, version } = versions.node.helm;
  const helm = join(binaryCacheDir(), `helm-${version}`, 'helm');
  if (!existsSync(helm))
    throw new Error(
      `no helm at ${helm}: run \`node test/support/prepare.ts\` (npm test does), or ` +
        `\`GOBIN=${dirname(helm)} go install ${module}/cmd/helm@${version}\``,
    );
  return helm;
}

async function moduleDir(module: string, version: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: tmpdir(),
    env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on' },
    maxBuffer: 8 * 1024 * 1024,
  });
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (info.Dir === undefined) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no Dir'}`);
  return info.Dir;
}

/** cert-manager's chart from its module, stamped with the release's version as its release tool does. */
async function certManagerChart(): Promise<string> {
  const { module, version } = versions.crds.certManager;
  const chart = join(scratchDir('cert-manager-chart'), 'cert-manager');
  cpSync(join(await moduleDir(module, version), 'deploy', 'charts', 'cert-manager'), chart, { recursive: true });
  const file = join(chart, 'Chart.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8')
      .replace(/^version: .*$/m, `version: ${version}`)
      .replace(/^appVersion: .*$/m, `appVersion: ${version}`),
  );
  return chart;
}

/**
 * CloudNativePG's release manifest: `kustomize build config/default` with the operator image set. Its
 * `imagePullPolicy: Always` becomes IfNotPresent: the node's images are imported, and a pull would leave the machine.
 */
async function cnpgManifest(kubectl: string): Promise<string> {
  const { module, version } = versions.crds.cloudnativePg;
  const { stdout } = await run(kubectl, ['kustomize', join(await moduleDir(module, version), 'config', 'default')], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const file = join(scratchDir('cnpg'), `cnpg-${version.slice(1)}.yaml`);
  writeFileSync(
    file,
    stdout
      .replaceAll('controller:latest', CNPG_IMAGE)
      .replace(/imagePullPolicy: Always/g, 'imagePullPolicy: IfNotPresent'),
  );
  return file;
}

/**
 * What the Tiltfile downloads → a function making its local copy (a file or a directory `kubectl apply -f` and
 * `helm upgrade --install` accept): the Gateway API CRDs, the cert-manager chart, the CloudNativePG release manifest
 * and prometheus-operator's CRDs, from the Go module cache. `kubectl`: the binary that renders CloudNativePG's
 * kustomization.
 */
export function addOnSources(kubectl: string): Record<string, () => Promise<string>> {
  const { gatewayApi, cloudnativePg, prometheusOperator } = versions.crds;
  return {
    [`https://github.com/kubernetes-sigs/gateway-api/releases/download/${gatewayApi.version}/standard-install.yaml`]:
      async () => join(await moduleDir(gatewayApi.module, gatewayApi.version), gatewayApi.dir),
    'oci://quay.io/jetstack/charts/cert-manager': certManagerChart,
    [`https://github.com/cloudnative-pg/cloudnative-pg/releases/download/${cloudnativePg.version}/cnpg-${cloudnativePg.version.slice(1)}.yaml`]:
      () => cnpgManifest(kubectl),
    [`https://github.com/prometheus-operator/prometheus-operator/releases/download/${prometheusOperator.version}/stripped-down-crds.yaml`]:
      async () => join(await moduleDir(prometheusOperator.module, prometheusOperator.version), prometheusOperator.dir),
  };
}

/** The admin kubeconfig with its context renamed to the Tiltfile's, so its `--context` flags select the node. */
function tiltKubeconfig(node: RunningNode): string {
  const file = join(node.state.dir, 'tilt-kubeconfig');
  writeFileSync(file, readFileSync(node.kubeconfigPath, 'utf8').replaceAll('cf-node', TILT_CONTEXT));
  return file;
}

/** Runs a Tiltfile command with the node's kubectl and the cached helm first on PATH; rejects with its output. */
function runCommand(node: RunningNode, kubeconfig: string, cmd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', cmd],
      {
        cwd: repo,
        timeout: timeoutMs,
        env: {
          ...process.env,
          PATH: `${dirname(node.binaries.kubectl)}:${dirname(helmBinary())}:${process.env['PATH'] ?? ''}`,
          KUBECONFIG: kubeconfig,
          HELM_CACHE_HOME: join(node.state.dir, 'helm', 'cache'),
          HELM_CONFIG_HOME: join(node.state.dir, 'helm', 'config'),
          HELM_DATA_HOME: join(node.state.dir, 'helm', 'data'),
        },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${cmd.split('\n')[0]}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** One Tiltfile local_resource command and how long it took. */
export interface AddOnRun {
  name: string;
  ms: number;
}

/**
 * Runs the named local_resources of the Tiltfile in its order, with their downloads replaced by local copies (a
 * URL the map does not cover fails the run). The node is labelled `ingress-ready=true` as kind-config.yaml does.
 */
export async function runTiltInstalls(
  node: RunningNode,
  names: readonly string[],
  progress: (line: string) => void = () => {},
): Promise<AddOnRun[]> {
  await node.kubectl(['label', 'node', node.layout.nodeName, 'ingress-ready=true', '--overwrite']);
  const tilt = await evaluateTiltfile(join(repo, 'Tiltfile'), {
    context: TILT_CONTEXT,
    local: { 'local-registry-hosting': 'host: "localhost:5001"' },
  });
  const local = addOnSources(node.binaries.kubectl);
  const kubeconfig = tiltKubeconfig(node);
  const runs: AddOnRun[] = [];
  for (const name of names) {
    const resource = tilt.resources.find((r) => r.name === name);
    if (resource?.cmd === undefined) throw new Error(`the Tiltfile has no local_resource '${name}' with a cmd`);
    let cmd = resource.cmd;
    for (const [url, make] of Object.entries(local)) if (cmd.includes(url)) cmd = cmd.replaceAll(url, await make());
    const remote = /(?:https?|oci):\/\/\S+/.exec(cmd);
    if (remote !== null) throw new Error(`local_resource '${name}' would download ${remote[0]}: no local copy for it`);
    progress(`tilt local_resource ${name}`);
    const started = Date.now();
    await runCommand(node, kubeconfig, cmd, 15 * 60_000);
    runs.push({ name, ms: Date.now() - started });
  }
  return runs;
}
