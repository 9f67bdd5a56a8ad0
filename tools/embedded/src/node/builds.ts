// Builds the node's components from Go modules, once per machine, into the same cache as the other test binaries
// (built-binaries.ts conventions: explicit env var → cache → build, one builder at a time, progress lines).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryCacheDir, buildOnce, go } from '../binaries.ts';
import { versions } from '../build-versions.ts';
import { buildKubeCommands, staticBuild } from '../kube-build.ts';

/** A set of binaries built together (one `go build` shares its package graph and build cache). */
export type NodeBundle = 'kube-node' | 'containerd' | 'kube-router' | 'coredns' | 'traefik' | 'cloudnative-pg' | 'helm';

const bundleBinaries = {
  'kube-node': ['kubelet', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'kubectl'],
  containerd: ['containerd', 'containerd-shim-runc-v2', 'ctr'],
  'kube-router': ['kube-router'],
  coredns: ['coredns'],
  traefik: ['traefik'],
  'cloudnative-pg': ['manager'],
  helm: ['helm'],
} as const satisfies Record<NodeBundle, readonly string[]>;

/** The binaries the node runs on the host (the other bundles go into images). */
export type NodeBinaryName = (typeof bundleBinaries)[(typeof nodeBundles)[number]][number];

/** `go install` of pinned commands as static binaries into `outDir`. */
function goInstall(args: string[], outDir: string, workDir: string, progress: (line: string) => void): Promise<string> {
  return go(['install', ...args], workDir, { CGO_ENABLED: '0', GOBIN: outDir }, progress);
}

/**
 * A wrapper module requiring `module@version` with the module's own `replace` and `exclude` directives copied
 * (a wrapper ignores them otherwise); local replacements point into the module cache.
 */
async function wrapperWithUpstreamDirectives(
  workDir: string,
  module: string,
  version: string,
  progress: (line: string) => void,
): Promise<void> {
  const info = JSON.parse(await go(['mod', 'download', '-json', `${module}@${version}`], workDir, {}, progress)) as {
    GoMod: string;
    Dir: string;
  };
  const upstream = readFileSync(info.GoMod, 'utf8');
  const directives: string[] = [];
  let block: string | undefined;
  for (const raw of upstream.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (block !== undefined) {
      if (line === ')') block = undefined;
      else if (line !== '') directives.push(`${block} ${line}`);
    } else if (/^(replace|exclude) \($/.test(line)) block = line.split(' ')[0];
    else if (/^(replace|exclude) /.test(line)) directives.push(line);
  }
  const local = (d: string): string => d.replace(/=> (\.\.?\/\S*)/, (_m, path: string) => `=> ${join(info.Dir, path)}`);
  writeFileSync(
    join(workDir, 'go.mod'),
    ['module cfwrap/build', '', 'go 1.26.0', '', `require ${module} ${version}`, '', ...directives.map(local), ''].join(
      '\n',
    ),
  );
}

/**
 * A static build of `module/command` into `outDir/binary` from a wrapper module carrying the upstream's own
 * directives; `stamp` is the `-X package.var=value` that records the version the way upstream's release does.
 */
function wrappedCommand(
  pin: { module: string; version: string },
  command: string,
  binary: string,
  stamp: string,
): BundleSpec {
  const { module, version } = pin;
  return {
    version,
    async build(outDir, workDir, progress) {
      await wrapperWithUpstreamDirectives(workDir, module, version, progress);
      await go(
        ['build', '-o', `${outDir}/${binary}`, '-ldflags', `-s -w -X ${stamp}`, `${module}/${command}`],
        workDir,
        staticBuild,
        progress,
      );
    },
  };
}

interface BundleSpec {
  version: string;
  build(outDir: string, workDir: string, progress: (line: string) => void): Promise<void>;
}

const specs: Record<NodeBundle, BundleSpec> = {
  'kube-node': {
    version: versions.kubeApiserver.version,
    async build(outDir, workDir, progress) {
      await buildKubeCommands({
        commands: bundleBinaries['kube-node'],
        out: `${outDir}/`,
        workDir,
        progress,
        extraLdflags: [`-X k8s.io/client-go/pkg/version.gitVersion=${versions.kubeApiserver.version}`],
      });
    },
  },
  containerd: {
    version: versions.node.containerd.version,
    async build(outDir, workDir, progress) {
      const { module, version } = versions.node.containerd;
      // FACTS.md ("A real node"): static, without the storage drivers that need cgo.
      await goInstall(
        [
          '-tags',
          'no_btrfs no_zfs no_devmapper',
          '-ldflags',
          `-s -w -X github.com/containerd/containerd/v2/version.Version=${version}`,
          ...bundleBinaries.containerd.map((name) => `${module}/cmd/${name}@${version}`),
        ],
        outDir,
        workDir,
        progress,
      );
    },
  },
  'kube-router': {
    version: versions.node.kubeRouter.version,
    async build(outDir, workDir, progress) {
      const { module, version } = versions.node.kubeRouter;
      await goInstall(['-ldflags', '-s -w', `${module}/cmd/kube-router@${version}`], outDir, workDir, progress);
    },
  },
  helm: {
    version: versions.node.helm.version,
    async build(outDir, workDir, progress) {
      const { module, version } = versions.node.helm;
      await goInstall(
        ['-ldflags', `-s -w -X ${module}/internal/version.version=${version}`, `${module}/cmd/helm@${version}`],
        outDir,
        workDir,
        progress,
      );
    },
  },
  coredns: {
    version: versions.node.coredns.version,
    async build(outDir, workDir, progress) {
      const { module, version } = versions.node.coredns;
      await goInstall(['-ldflags', '-s -w', `${module}@${version}`], outDir, workDir, progress);
    },
  },
  traefik: wrappedCommand(
    versions.node.traefik,
    'cmd/traefik',
    'traefik',
    `${versions.node.traefik.module}/pkg/version.Version=${versions.node.traefik.version}`,
  ),
  // The CloudNativePG operator; the same binary is its instance manager, copied into each PostgreSQL pod.
  'cloudnative-pg': wrappedCommand(
    versions.crds.cloudnativePg,
    'cmd/manager',
    'manager',
    `${versions.crds.cloudnativePg.module}/pkg/versions.buildVersion=${versions.crds.cloudnativePg.version.slice(1)}`,
  ),
};

function bundleDir(bundle: NodeBundle): string {
  return join(binaryCacheDir(), `${bundle}-${specs[bundle].version}`);
}

function complete(bundle: NodeBundle): boolean {
  return bundleBinaries[bundle].every((name) => existsSync(join(bundleDir(bundle), name)));
}

/**
 * The directory holding a bundle's binaries, building it when missing (cold: minutes; FACTS.md "A real node").
 * `CF_NODE_BIN_DIR` names a directory that already holds every node binary (then nothing is built).
 * Throws with the build's output tail and how to provide the binaries instead.
 */
export async function resolveBundle(bundle: NodeBundle, progress: (line: string) => void = () => {}): Promise<string> {
  const explicit = process.env['CF_NODE_BIN_DIR'];
  if (explicit !== undefined && explicit !== '') {
    for (const name of bundleBinaries[bundle])
      if (!existsSync(join(explicit, name))) throw new Error(`CF_NODE_BIN_DIR=${explicit} has no ${name}`);
    return explicit;
  }
  const target = bundleDir(bundle);
  if (complete(bundle)) return target;
  // One builder per bundle across concurrent workers; the others wait for its result.
  await buildOnce(
    target,
    () => complete(bundle),
    async () => {
      const workDir = join(binaryCacheDir(), 'build', `${bundle}-${specs[bundle].version}`);
      mkdirSync(workDir, { recursive: true });
      const partial = `${target}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      progress(`building ${bundle} ${specs[bundle].version} (cold: minutes; cached afterwards in ${binaryCacheDir()})`);
      try {
        await specs[bundle].build(partial, workDir, progress);
      } catch (error) {
        throw new Error(
          `no ${bundle} binaries: building ${specs[bundle].version} failed — set CF_NODE_BIN_DIR to a directory ` +
            `holding ${bundleBinaries[bundle].join(', ')}; building needs Go ≥ 1.26 and the Go module proxy.\n` +
            (error as Error).message,
          { cause: error },
        );
      }
      rmSync(target, { recursive: true, force: true });
      renameSync(partial, target);
    },
  );
  return target;
}

export const nodeBundles = [
  'kube-node',
  'containerd',
  'kube-router',
  'coredns',
] as const satisfies readonly NodeBundle[];

/** Every node binary by name, building what is missing. */
export async function resolveNodeBinaries(
  progress: (bundle: NodeBundle, line: string) => void = () => {},
): Promise<Record<NodeBinaryName, string>> {
  const paths: Partial<Record<NodeBinaryName, string>> = {};
  // Sequential: the machine has 2 cores and each build already uses both.
  for (const bundle of nodeBundles) {
    const dir = await resolveBundle(bundle, (line) => progress(bundle, line));
    for (const name of bundleBinaries[bundle]) paths[name] = join(dir, name);
  }
  return paths as Record<NodeBinaryName, string>;
}
