// Building Kubernetes' own commands (kube-apiserver for the tests' control plane, the kubelet and its peers for the
// real node) from the one pinned k8s.io/kubernetes, the same way for both.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { go } from './binaries.ts';
import { versions } from './build-versions.ts';

/** What `go build` of a pinned module needs to link statically and resolve the wrapper's requirements. */
export const staticBuild = { CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };

/**
 * Writes the wrapper module `cfwrap/kube` into `workDir`: k8s.io/kubernetes with each staging module pinned to its
 * published version, because its own go.mod points them at ./staging.
 */
async function writeKubeWrapper(workDir: string, progress: (line: string) => void): Promise<void> {
  const { module, version, staging } = versions.kubeApiserver;
  const info = JSON.parse(await go(['mod', 'download', '-json', `${module}@${version}`], workDir, {}, progress)) as {
    GoMod: string;
  };
  const stagingModules = [
    ...readFileSync(info.GoMod, 'utf8').matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\//gm),
  ].map((m) => m[1]);
  writeFileSync(
    join(workDir, 'go.mod'),
    [
      'module cfwrap/kube',
      '',
      'go 1.26.0',
      '',
      `require ${module} ${version}`,
      '',
      'replace (',
      ...stagingModules.map((name) => `\t${name} => ${name} ${staging}`),
      ')',
      '',
    ].join('\n'),
  );
}

/**
 * Builds `k8s.io/kubernetes/cmd/<command>` for each command, at the pinned version, to `out` (a file for one
 * command, a directory ending in `/` for several), stamped with that version as `--version` reports it;
 * `extraLdflags` adds further `-X` stamps.
 */
export async function buildKubeCommands(options: {
  commands: readonly string[];
  out: string;
  workDir: string;
  progress: (line: string) => void;
  extraLdflags?: readonly string[];
}): Promise<void> {
  const { commands, out, workDir, progress, extraLdflags = [] } = options;
  await writeKubeWrapper(workDir, progress);
  const { module, version } = versions.kubeApiserver;
  const [major, minor] = version.replace(/^v/, '').split('.');
  const ldflags = [
    '-s -w',
    `-X k8s.io/component-base/version.gitVersion=${version}`,
    `-X k8s.io/component-base/version.gitMajor=${major}`,
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    ...extraLdflags,
  ].join(' ');
  await go(
    [
      'build',
      '-o',
      out,
      '-tags',
      'selinux,notest,grpcnotrace',
      '-ldflags',
      ldflags,
      ...commands.map((name) => `${module}/cmd/${name}`),
    ],
    workDir,
    staticBuild,
    progress,
  );
}
