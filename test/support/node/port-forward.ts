// The operators' path into the cluster: `kubectl port-forward`, which enters the pod's own network namespace and so
// is not subject to NetworkPolicy (docs/network-model.md, "Admin UIs").
import { join } from 'node:path';
import { spawnManaged, waitFor, type ManagedProcess } from '../process.ts';
import type { RunningNode } from './node.ts';
import { readFileSync } from 'node:fs';

export interface PortForward {
  /** The local port on 127.0.0.1. */
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** `kubectl -n <namespace> port-forward <target> :<remotePort>`; resolves once it prints its local port. */
export async function portForward(
  node: RunningNode,
  namespace: string,
  target: string,
  remotePort: number,
): Promise<PortForward> {
  const logFile = join(node.state.dir, 'logs', `port-forward-${namespace}-${target.replace(/\W+/g, '-')}.log`);
  const proc = spawnManaged(
    node.binaries.kubectl,
    ['--kubeconfig', node.kubeconfigPath, '-n', namespace, 'port-forward', target, `:${remotePort}`],
    { name: `port-forward ${target}`, logFile },
  );
  try {
    const port = await waitFor(
      async () => {
        const match = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(readFileSync(logFile, 'utf8'));
        return match === null ? undefined : Number(match[1]);
      },
      { what: `kubectl port-forward ${target}`, process: proc, timeoutMs: 30_000, intervalMs: 100 },
    );
    return { port, process: proc, stop: () => proc.stop(2000) };
  } catch (error) {
    await proc.stop(2000);
    throw error;
  }
}
