// How the Prometheus stack's binaries are built when missing (resolved, cached and locked by binaries.ts):
// Prometheus + promtool, Alertmanager + amtool, prometheus-operator and its prometheus-config-reloader from their
// Go modules, and our Go helper that validates Grafana dashboards with the Grafana Foundation SDK's Go types.
import { cpSync, chmodSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { go, goSourceVersion } from './binaries.ts';
import { versions } from './build-versions.ts';

export type ObservabilityToolName =
  | 'prometheus'
  | 'promtool'
  | 'alertmanager'
  | 'amtool'
  | 'prometheus-operator'
  | 'prometheus-config-reloader'
  | 'obs-dashboards';

/** The same shape as binaries.ts' specs. */
export interface ToolSpec {
  envVar: string;
  pathNames: string[];
  version: string;
  build(outFile: string, workDir: string, progress: (line: string) => void): Promise<void>;
  howToProvide: string;
}

/** `go`, statically linked (the binaries run on any Linux). */
const goRun = (args: string[], cwd: string, env: Record<string, string>, progress: (line: string) => void) =>
  go(args, cwd, { CGO_ENABLED: '0', ...env }, progress);

/** `-X` flags that give `--version` its answer (prometheus/common/version, as the upstream Makefiles set). */
const versionFlags = (version: string): string =>
  `-s -w -X github.com/prometheus/common/version.Version=${version.replace(/^v/, '')} -X github.com/prometheus/common/version.Branch=HEAD`;

/**
 * Prometheus' service discovery plugins are chosen by build tags (its `plugins/` package): our configs use
 * only Kubernetes discovery, and leaving out the cloud SDKs saves most of the cold build.
 */
const PROMETHEUS_TAGS = 'remove_all_sd,enable_kubernetes_sd';

/** `go install module/cmd/<cmd>@version` into workDir, then move the binary to outFile. */
function goInstall(module: string, version: string, cmd: string, displayVersion: string, tags = ''): ToolSpec['build'] {
  return async (outFile, workDir, progress) => {
    const bin = join(workDir, 'gobin');
    await goRun(
      [
        'install',
        '-trimpath',
        ...(tags !== '' ? ['-tags', tags] : []),
        '-ldflags',
        versionFlags(displayVersion),
        `${module}/cmd/${cmd}@${version}`,
      ],
      workDir,
      { GOBIN: bin },
      progress,
    );
    renameSync(join(bin, cmd), outFile);
  };
}

export function obsDashboardsDir(): string {
  return fileURLToPath(new URL('../go/obs-dashboards/', import.meta.url));
}

const p = versions.observability;

export const observabilitySpecs: Record<ObservabilityToolName, ToolSpec> = {
  prometheus: {
    envVar: 'CF_PROMETHEUS_BIN',
    pathNames: [],
    version: p.prometheus.version,
    howToProvide: `set CF_PROMETHEUS_BIN to a Prometheus ${p.prometheus.display} binary (go install ${p.prometheus.module}/cmd/prometheus@${p.prometheus.version}, ≈ 10–30 min cold)`,
    build: goInstall(p.prometheus.module, p.prometheus.version, 'prometheus', p.prometheus.display, PROMETHEUS_TAGS),
  },
  promtool: {
    envVar: 'CF_PROMTOOL_BIN',
    pathNames: [],
    version: p.prometheus.version,
    howToProvide: `set CF_PROMTOOL_BIN to promtool ${p.prometheus.display} (Debian's 2.x rejects kubernetes_sd_configs of our generated config)`,
    build: goInstall(p.prometheus.module, p.prometheus.version, 'promtool', p.prometheus.display, PROMETHEUS_TAGS),
  },
  alertmanager: {
    envVar: 'CF_ALERTMANAGER_BIN',
    pathNames: [],
    version: p.alertmanager.version,
    howToProvide: `set CF_ALERTMANAGER_BIN to an Alertmanager ${p.alertmanager.version} binary (go install ${p.alertmanager.module}/cmd/alertmanager@${p.alertmanager.version})`,
    build: goInstall(p.alertmanager.module, p.alertmanager.version, 'alertmanager', p.alertmanager.version),
  },
  amtool: {
    envVar: 'CF_AMTOOL_BIN',
    pathNames: [],
    version: p.alertmanager.version,
    howToProvide: `set CF_AMTOOL_BIN to amtool ${p.alertmanager.version}`,
    build: goInstall(p.alertmanager.module, p.alertmanager.version, 'amtool', p.alertmanager.version),
  },
  'prometheus-operator': {
    envVar: 'CF_PROMETHEUS_OPERATOR_BIN',
    pathNames: [],
    version: p.operator.version,
    howToProvide: `set CF_PROMETHEUS_OPERATOR_BIN to a prometheus-operator ${p.operator.version} binary`,
    build: (outFile, workDir, progress) => operatorCommand('./cmd/operator', outFile, workDir, progress),
  },
  'prometheus-config-reloader': {
    envVar: 'CF_PROMETHEUS_CONFIG_RELOADER_BIN',
    pathNames: [],
    version: p.operator.version,
    howToProvide: `set CF_PROMETHEUS_CONFIG_RELOADER_BIN to a prometheus-config-reloader ${p.operator.version} binary`,
    // The sidecar (and init container) the operator adds to every Prometheus and Alertmanager pod it generates.
    build: (outFile, workDir, progress) =>
      operatorCommand('./cmd/prometheus-config-reloader', outFile, workDir, progress),
  },
  'obs-dashboards': {
    envVar: 'CF_OBS_DASHBOARDS_BIN',
    pathNames: [],
    version: goSourceVersion(obsDashboardsDir()),
    howToProvide:
      'set CF_OBS_DASHBOARDS_BIN to a build of tools/embedded/go/obs-dashboards (needs Go ≥ 1.26 and the module proxy)',
    async build(outFile, _workDir, progress) {
      await goRun(
        ['build', '-mod=readonly', '-trimpath', '-ldflags', '-s -w', '-o', outFile, '.'],
        obsDashboardsDir(),
        {},
        progress,
      );
    },
  },
};

/**
 * Builds one command of the prometheus-operator module. Its go.mod replaces two of its own modules
 * (pkg/apis/monitoring, pkg/client) with local directories, which the module zip leaves out: `go install` refuses
 * it. A writable copy with those two modules (downloaded at the same version) put where the replaces point builds.
 */
async function operatorCommand(
  command: string,
  outFile: string,
  workDir: string,
  progress: (line: string) => void,
): Promise<void> {
  const download = async (module: string): Promise<string> =>
    (
      JSON.parse(
        await goRun(
          ['mod', 'download', '-json', `${module}@${p.operator.version}`],
          workDir,
          { GOFLAGS: '-mod=mod' },
          progress,
        ),
      ) as { Dir: string }
    ).Dir;
  const src = join(workDir, 'src');
  rmSync(src, { recursive: true, force: true });
  cpSync(await download(p.operator.module), src, { recursive: true });
  for (const nested of ['pkg/apis/monitoring', 'pkg/client']) {
    rmSync(join(src, nested), { recursive: true, force: true });
    mkdirSync(dirname(join(src, nested)), { recursive: true });
    cpSync(await download(`${p.operator.module}/${nested}`), join(src, nested), { recursive: true });
  }
  chmodRecursive(src);
  await goRun(
    ['build', '-trimpath', '-ldflags', versionFlags(p.operator.version), '-o', outFile, command],
    src,
    {},
    progress,
  );
}

function chmodRecursive(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chmodRecursive(path);
    else chmodSync(path, 0o644);
  }
}

export const observabilityTools: readonly ObservabilityToolName[] = [
  'promtool',
  'amtool',
  'alertmanager',
  'prometheus',
  'prometheus-operator',
  'prometheus-config-reloader',
  'obs-dashboards',
];

/** The prometheus-operator CRD files at the pinned version, from the Go module cache (downloaded on first use). */
export async function prometheusOperatorCrds(progress: (line: string) => void = () => {}): Promise<string[]> {
  const { module, version, crdDir } = versions.observability.operator;
  progress(`go mod download ${module}@${version}`);
  const info = JSON.parse(
    await goRun(['mod', 'download', '-json', `${module}@${version}`], tmpdir(), { GOFLAGS: '-mod=mod' }, progress),
  ) as { Dir?: string; Error?: string };
  if (info.Dir === undefined)
    throw new Error(`no prometheus-operator CRDs: ${module}@${version}: ${info.Error ?? 'no Dir'}`);
  const dir = join(info.Dir, crdDir);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no CRD files in ${dir}`);
  return files;
}
