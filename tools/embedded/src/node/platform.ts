// Deploying the platform onto a RunningNode the way `tilt up` does: the add-ons first (Gateway API, cert-manager
// and CloudNativePG CRDs at the Tiltfile's pinned versions; Traefik and its GatewayClass by running the Tiltfile's
// own commands), then every file of manifests/dev.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartsCrdDirs } from '../charts-crds.ts';
import { evaluateTiltfile } from '../charts-tools.ts';
import type { RunningNode } from './node.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** The local_resource commands of the Tiltfile that install add-ons without downloading anything. */
export const TILT_LOCAL_INSTALLS = ['traefik', 'gateway-class'] as const;

/** Runs a Tiltfile command with `kubectl` meaning the node's kubectl and admin kubeconfig; rejects with its output. */
function runTiltCommand(node: RunningNode, cmd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', cmd],
      {
        cwd: repo,
        timeout: timeoutMs,
        env: {
          ...process.env,
          PATH: `${dirname(node.binaries.kubectl)}:${process.env['PATH'] ?? ''}`,
          KUBECONFIG: node.kubeconfigPath,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${cmd.split('\n')[0]}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/**
 * Installs the upstream CRDs the Tiltfile downloads (same versions, from the Go module cache: nothing here
 * reaches GitHub), then runs the Tiltfile's own Traefik and GatewayClass commands. The node is labelled
 * `ingress-ready=true` as kind-config.yaml labels the kind node.
 */
export async function installAddOns(node: RunningNode, progress: (line: string) => void = () => {}): Promise<void> {
  for (const source of await chartsCrdDirs(progress))
    for (const file of source.files) await node.kubectl(['apply', '--server-side', '-f', file]);
  await node.kubectl(['label', 'node', node.layout.nodeName, 'ingress-ready=true', '--overwrite']);
  const tilt = await evaluateTiltfile(join(repo, 'Tiltfile'), {
    local: { 'local-registry-hosting': 'host: "localhost:5001"' },
  });
  for (const name of TILT_LOCAL_INSTALLS) {
    const resource = tilt.resources.find((r) => r.name === name);
    if (resource?.cmd === undefined) throw new Error(`the Tiltfile has no local_resource '${name}' with a cmd`);
    progress(`tilt local_resource ${name}`);
    await runTiltCommand(node, resource.cmd, 320_000);
  }
}

/** `kubectl apply` of every manifests/dev file in name order (the Tiltfile's k8s_yaml of the same files). */
export async function applyDevManifests(node: RunningNode): Promise<void> {
  const dir = join(repo, 'manifests', 'dev');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort())
    await node.kubectl(['apply', '--server-side', '-f', join(dir, file)], undefined, 120_000);
}
