import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { binaryCacheDir } from './binaries.ts';
import { whileLocked } from './machine-lock.ts';
import {
  adoptContainer,
  freePort,
  releaseContainer,
  scratchDir,
  spawnManaged,
  waitFor,
  type ManagedProcess,
} from './process.ts';

const run = promisify(execFile);

/** The stand-ins for the official bases our Dockerfiles name; built locally because no registry is reachable. */
export const BASE_IMAGES = {
  debian: 'docker.io/library/debian:bookworm-slim',
  node: 'docker.io/library/node:24-bookworm-slim',
} as const;

function containersDir(): string {
  const dir = join(dirname(binaryCacheDir()), 'containers');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * podman settings that work in these VMs: crun's setrlimit is denied, so runc and no default ulimits.
 * Returned as an environment for every podman call.
 */
export function podmanEnv(): NodeJS.ProcessEnv {
  const conf = join(containersDir(), 'containers.conf');
  if (!existsSync(conf)) writeFileSync(conf, '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n');
  return { ...process.env, CONTAINERS_CONF: conf };
}

/** undefined when podman, runc and debootstrap are usable; otherwise how to get them. */
export function podmanMissing(): string | undefined {
  for (const tool of ['podman', 'runc', 'debootstrap']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' });
    if (found.status !== 0) return `${tool} is missing: apt-get install podman runc debootstrap (.ci/run does)`;
  }
  return undefined;
}

/**
 * Builds and removals of images, one at a time on the machine: a build's layer-cache lookup fails with "layer not
 * known" when another process removes an image whose layers it is looking at (seen when the e2e suite built the
 * platform's images while a container test replaced one of them).
 */
const IMAGE_STORE_CHANGES = new Set(['build', 'rmi', 'image rm', 'image prune']);

/** The lock directory (machine-lock.ts) that podman's image-store changes hold, in the binary cache. */
export function imageStoreLock(): string {
  return join(binaryCacheDir(), 'podman-image-store.lock');
}

export async function podman(args: string[], progress?: (line: string) => void): Promise<string> {
  const [verb = '', object = ''] = args;
  if (IMAGE_STORE_CHANGES.has(verb) || IMAGE_STORE_CHANGES.has(`${verb} ${object}`)) {
    return whileLocked(imageStoreLock(), () => podmanNow(args, progress));
  }
  return podmanNow(args, progress);
}

async function podmanNow(args: string[], progress?: (line: string) => void): Promise<string> {
  try {
    const { stdout } = await run('podman', args, { env: podmanEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    progress?.(failure.stderr ?? '');
    throw new Error(`podman ${args[0]} failed: ${(failure.stderr ?? failure.message).slice(-3000)}`, { cause: error });
  }
}

/** The npm that runs this machine's installs goes into the image too, so `npm ci` behaves the same there. */
function npmPackageDir(): string {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  const cli = which.stdout.trim();
  if (which.status !== 0 || cli === '') throw new Error('npm not found on PATH');
  return dirname(dirname(realpathSync(cli)));
}

export async function imageExists(tag: string): Promise<boolean> {
  const result = spawnSync('podman', ['image', 'exists', tag], { env: podmanEnv() });
  return result.status === 0;
}

/**
 * A Debian minbase of `suite` from debootstrap, imported into podman as `tag` (about a minute). `script` names
 * debootstrap's suite script when this machine's debootstrap predates the suite (a newer suite uses `sid`'s).
 * Throws debootstrap's or podman's error.
 */
export async function debootstrapImage(suite: string, tag: string, script?: string): Promise<void> {
  const rootfs = join(containersDir(), `${suite}-rootfs-${randomBytes(4).toString('hex')}`);
  try {
    await run(
      'debootstrap',
      ['--variant=minbase', suite, rootfs, 'http://deb.debian.org/debian', ...(script === undefined ? [] : [script])],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    const tar = spawnSync('sh', ['-c', `tar -C '${rootfs}' -c . | podman import --change 'CMD ["bash"]' - ${tag}`], {
      env: podmanEnv(),
      encoding: 'utf8',
    });
    if (tar.status !== 0) throw new Error(`podman import failed: ${tar.stderr}`);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/**
 * Makes the base images exist in local storage, once per machine: a Debian bookworm minbase from
 * debootstrap, and a Node 24 image on it carrying the very Node binary that runs the tests.
 */
export async function ensureBaseImages(progress: (line: string) => void = () => {}): Promise<void> {
  const missing = podmanMissing();
  if (missing !== undefined) throw new Error(missing);
  if (!(await imageExists(BASE_IMAGES.debian))) {
    progress('debootstrap bookworm minbase (about a minute, once per machine)');
    await debootstrapImage('bookworm', BASE_IMAGES.debian);
  }
  if (!(await imageExists(BASE_IMAGES.node))) {
    progress(`building ${BASE_IMAGES.node} from ${BASE_IMAGES.debian} and ${process.execPath}`);
    if (!process.version.startsWith('v24.'))
      throw new Error(`the Node image needs Node 24; the tests run on ${process.version}`);
    const context = scratchDir('node-image');
    copyFileSync(realpathSync(process.execPath), join(context, 'node'));
    cpSync(npmPackageDir(), join(context, 'npm'), { recursive: true });
    // Machines whose registry traffic passes a TLS-inspecting proxy trust its CA through NODE_EXTRA_CA_CERTS;
    // `npm ci` inside a build needs the same trust, which the official image would not need elsewhere.
    const extraCa = process.env['NODE_EXTRA_CA_CERTS'];
    const trust = extraCa !== undefined && existsSync(extraCa);
    if (trust) copyFileSync(extraCa, join(context, 'extra-ca.crt'));
    writeFileSync(
      join(context, 'Containerfile'),
      [
        `FROM ${BASE_IMAGES.debian}`,
        ...(trust
          ? ['COPY extra-ca.crt /usr/local/share/ca-extra.crt', 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-extra.crt']
          : []),
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\',
        ' && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\',
        ' && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    await podman(
      ['build', '--pull=never', '-t', BASE_IMAGES.node, '-f', join(context, 'Containerfile'), context],
      progress,
    );
  }
}

export interface BuildOptions {
  /** Build context: the repository root for our service Dockerfiles. */
  context: string;
  dockerfile: string;
  tag: string;
  /** Ignore the layer cache (a cold build of this image; base images are reused). Default: false. */
  noCache?: boolean;
  /** Dockerfile stage to build (`dev` is what Tilt builds). Default: the last stage, production's. */
  target?: string;
  /** The Dockerfile's build args (`--build-arg NAME=value`), e.g. the service the shared Node Dockerfile builds. */
  buildArgs?: Record<string, string>;
}

/** Builds a project Dockerfile unchanged; `--network=host` lets `npm ci` reach the registry. */
export async function buildImage(options: BuildOptions, progress: (line: string) => void = () => {}): Promise<void> {
  await ensureBaseImages(progress);
  const replaced = imageId(options.tag);
  await podman(
    [
      'build',
      '--pull=never',
      '--network=host',
      ...(options.noCache === true ? ['--no-cache'] : []),
      ...(options.target === undefined ? [] : ['--target', options.target]),
      ...Object.entries(options.buildArgs ?? {}).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
      '-t',
      options.tag,
      '-f',
      options.dockerfile,
      options.context,
    ],
    progress,
  );
  // The tag moved to the new image; the one it named is removed, or every rebuild would keep ≈ 400 MB more
  // (the image store reached 11 GB of untagged images in a day). In use by a container: podman refuses, kept.
  if (replaced !== undefined && replaced !== imageId(options.tag)) {
    await podman(['rmi', replaced]).catch(() => undefined);
  }
}

/** The image id a tag names now, or undefined. */
function imageId(tag: string): string | undefined {
  const result = spawnSync('podman', ['image', 'inspect', '--format', '{{.Id}}', tag], {
    env: podmanEnv(),
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export interface RunOptions {
  image: string;
  /** Environment for the container; `PORT` is set to the chosen port. */
  env?: Record<string, string>;
  /** Path that answers 200 once the container serves. Default: `/healthz`. */
  readyPath?: string;
  /** Read-only root filesystem, as production runs it; the dev profile relaxes it for Tilt. Default: true. */
  readOnlyRoot?: boolean;
}

export interface RunningContainer {
  name: string;
  url: string;
  port: number;
  process: ManagedProcess;
  /** Runs a command inside the container and returns its stdout and exit code. */
  exec(command: string[]): Promise<{ stdout: string; code: number }>;
  stop(): Promise<void>;
}

/**
 * Runs an image as production would: its own non-root user, a read-only root filesystem with a tmpfs
 * for /tmp, on the host network at a free loopback port.
 */
export async function runContainer(options: RunOptions): Promise<RunningContainer> {
  const port = await freePort();
  const name = `cf-test-${randomBytes(5).toString('hex')}`;
  const env = { HOST: '127.0.0.1', ...options.env, PORT: String(port) };
  const args = [
    'run',
    '--rm',
    '--name',
    name,
    '--network=host',
    ...(options.readOnlyRoot === false ? [] : ['--read-only']),
    '--tmpfs',
    '/tmp:rw,size=16m',
    '--cap-drop=ALL',
  ];
  for (const [key, value] of Object.entries(env)) args.push('--env', `${key}=${value}`);
  args.push(options.image);
  const dir = scratchDir('container');
  const proc = spawnManaged('podman', args, {
    name: `container ${options.image}`,
    logFile: join(dir, 'container.log'),
    env: podmanEnv(),
  });
  // The container runs under conmon, outside our process group: the reaper removes it by name if we die.
  adoptContainer(name, podmanEnv()['CONTAINERS_CONF'] ?? '');
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => (await fetch(`${url}${options.readyPath ?? '/healthz'}`, { signal: AbortSignal.timeout(1000) })).ok,
    {
      what: `container ${options.image} to answer`,
      process: proc,
      timeoutMs: 60_000,
      intervalMs: 200,
    },
  );
  return {
    name,
    url,
    port,
    process: proc,
    async exec(command) {
      const result = spawnSync('podman', ['exec', name, ...command], { env: podmanEnv(), encoding: 'utf8' });
      return { stdout: result.stdout, code: result.status ?? -1 };
    },
    async stop() {
      spawnSync('podman', ['rm', '--force', '--time', '5', name], { env: podmanEnv(), stdio: 'ignore' });
      releaseContainer(name);
      await proc.stop();
    },
  };
}
