import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveBinary } from './built-binaries.ts';

const run = promisify(execFile);

/** Runs one of our Go helpers; resolves with stdout, rejects with its stderr in the message. */
async function tool(
  name: 'charts-netpol' | 'charts-starlark' | 'charts-kindconfig',
  args: string[],
  input?: string,
): Promise<string> {
  const binary = await resolveBinary(name);
  return new Promise((resolve, reject) => {
    const child = execFile(binary.path, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${name} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface NetpolPeer {
  name: string;
  /** Empty: outside the cluster. */
  namespace: string;
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
  ip: string;
  ports: { name: string; port: number; protocol: 'TCP' | 'UDP' }[];
}

export interface NetpolVerdict {
  from: string;
  to: string;
  port: number;
  protocol: string;
  allowed: boolean;
  ingress: boolean;
  egress: boolean;
}

/** cyclonus' matcher over the policies: a verdict for every ordered peer pair and every port of the target. */
export async function reachability(policies: unknown[], peers: NetpolPeer[]): Promise<NetpolVerdict[]> {
  return JSON.parse(await tool('charts-netpol', [], JSON.stringify({ policies, peers }))) as NetpolVerdict[];
}

export interface TiltResult {
  resources: {
    name: string;
    type: 'k8s' | 'local';
    workload?: string;
    objects: string[];
    resourceDeps: string[];
    portForwards: { localPort: number; containerPort: number }[];
    labels: string[];
    cmd?: string;
    serveCmd?: string;
    deps: string[];
    autoInit: boolean;
    /** Tilt's effective pod_readiness of a k8s resource. */
    podReadiness?: 'wait' | 'ignore' | 'succeeded';
    /** Round of the simulated `tilt up` in which the resource first deployed / first counted as ready; -1: never. */
    firstDeploy: number;
    ready: number;
  }[];
  images: {
    ref: string;
    context: string;
    dockerfile: string;
    liveUpdate: { type: string; localPath?: string; remotePath?: string; cmd?: string }[];
    only: string[];
    target?: string;
    buildArgs: Record<string, string>;
  }[];
  yamlFiles: string[];
  objects: { apiVersion: string; kind: string; name: string; namespace: string; images: string[] }[];
  localCalls: string[];
  allowedContexts: string[];
  settings: Record<string, unknown>;
  prints: string[];
}

/** Evaluates a Tiltfile with go.starlark.net and our Tilt builtin stubs. `local` maps command substrings to output. */
export async function evaluateTiltfile(
  tiltfile: string,
  options: {
    context?: string;
    local?: Record<string, string>;
    /** resource → resource whose deploy its pods need before they turn Ready (the simulated world). */
    podsReadyAfter?: Record<string, string>;
  } = {},
): Promise<TiltResult> {
  const args: string[] = [];
  for (const [name, after] of Object.entries(options.podsReadyAfter ?? {})) {
    args.push('--pods-ready-after', `${name}=${after}`);
  }
  if (options.context !== undefined) args.push('--context', options.context);
  for (const [substring, output] of Object.entries(options.local ?? {})) args.push('--local', `${substring}=${output}`);
  return JSON.parse(await tool('charts-starlark', [...args, tiltfile])) as TiltResult;
}

/** kind's own strict decoding of a cluster config into its v1alpha4 types, with kind's defaults applied. */
export async function decodeKindConfig(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await tool('charts-kindconfig', [file])) as Record<string, unknown>;
}

export { run as execFileAsync };
