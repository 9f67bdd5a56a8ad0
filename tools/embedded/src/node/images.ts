// Images without a registry: built with podman (containers.ts), saved once per machine as OCI
// archives in the cache, and imported into each run's containerd (`k8s.io` namespace, what the CRI reads).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { binaryCacheDir, go } from '../binaries.ts';
import { podman } from '../containers.ts';
import { scratchDir } from '../process.ts';
import { versions } from '../build-versions.ts';

const run = promisify(execFile);

/** Tag of kubernetes/build/pause (its Makefile's TAG for the pinned Kubernetes). */
const PAUSE_TAG = '3.10.2';

/** The node's own images, named `localhost/…` to say they never came from a registry. */
export const NODE_IMAGES = {
  pause: `localhost/cf-pause:${PAUSE_TAG}`,
  coredns: `localhost/cf-coredns:${versions.node.coredns.version}`,
  /** Debian's static BusyBox (nc, nslookup, wget, sh): a probe pod that needs no base image. */
  probe: 'localhost/cf-probe:busybox',
} as const;

export function imageArchiveDir(): string {
  const dir = join(dirname(binaryCacheDir()), 'images');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The cache file of an image's OCI archive. */
export function archivePath(tag: string): string {
  return join(imageArchiveDir(), `${tag.replace(/[^\w.-]+/g, '_')}.oci.tar`);
}

/** Saves a podman image as an OCI archive (atomically) and returns its path. */
export async function saveArchive(tag: string): Promise<string> {
  const target = archivePath(tag);
  // A partial file of this process's own: two workers saving the same tag at once each rename a whole archive.
  const partial = `${target}.${process.pid}.partial`;
  rmSync(partial, { force: true });
  await podman(['save', '--format', 'oci-archive', '-o', partial, tag]);
  renameSync(partial, target);
  return target;
}

/** The OCI archive of an image podman already has (e.g. containers.ts BASE_IMAGES), saved once per machine. */
export async function podmanImageArchive(tag: string): Promise<string> {
  const target = archivePath(tag);
  return existsSync(target) ? target : saveArchive(tag);
}

/** An image holding one static binary as its entrypoint, from scratch. */
async function staticImage(tag: string, binary: string, entrypoint: string[]): Promise<string> {
  const target = archivePath(tag);
  if (existsSync(target)) return target;
  const context = scratchDir('image');
  copyFileSync(binary, join(context, 'bin'));
  writeFileSync(
    join(context, 'Containerfile'),
    `FROM scratch\nCOPY bin ${entrypoint[0]}\nENTRYPOINT ${JSON.stringify(entrypoint)}\n`,
  );
  await podman(['build', '--pull=never', '-t', tag, '-f', join(context, 'Containerfile'), context]);
  return saveArchive(tag);
}

/** The sandbox image, compiled from the pinned Kubernetes module's own build/pause/linux/pause.c. */
export async function pauseImage(): Promise<string> {
  const target = archivePath(NODE_IMAGES.pause);
  if (existsSync(target)) return target;
  const { module, version } = versions.kubeApiserver;
  const kubeSourceDir = (
    JSON.parse(await go(['mod', 'download', '-json', `${module}@${version}`], '/', {}, () => {})) as { Dir: string }
  ).Dir;
  const dir = scratchDir('pause');
  try {
    await run('gcc', [
      '-Os',
      '-Wall',
      '-static',
      `-DVERSION=v${PAUSE_TAG}-cf`,
      '-o',
      join(dir, 'pause'),
      join(kubeSourceDir, 'build/pause/linux/pause.c'),
    ]);
  } catch (error) {
    throw new Error(
      `building the pause image needs gcc and a static libc: apt-get install gcc libc6-dev (${(error as Error).message})`,
      { cause: error },
    );
  }
  return staticImage(NODE_IMAGES.pause, join(dir, 'pause'), ['/pause']);
}

/** The probe image; needs Debian's busybox-static (its /bin/busybox is a static binary). */
export async function probeImage(): Promise<string> {
  const busybox = '/bin/busybox';
  const check = await run('file', ['-L', busybox]).catch(() => ({ stdout: '' }));
  if (!existsSync(busybox) || !/statically linked/.test(check.stdout))
    throw new Error('the probe image needs a static BusyBox: apt-get install busybox-static');
  const target = archivePath(NODE_IMAGES.probe);
  if (existsSync(target)) return target;
  const context = scratchDir('image');
  copyFileSync(busybox, join(context, 'busybox'));
  writeFileSync(
    join(context, 'Containerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENTRYPOINT ["/bin/sh"]\n',
  );
  await podman(['build', '--pull=never', '-t', NODE_IMAGES.probe, '-f', join(context, 'Containerfile'), context]);
  return saveArchive(NODE_IMAGES.probe);
}

export function corednsImage(corednsBinary: string): Promise<string> {
  return staticImage(NODE_IMAGES.coredns, corednsBinary, ['/coredns']);
}

/** Imports OCI archives into containerd's `k8s.io` namespace, unpacked for its overlayfs snapshotter. */
export async function importArchives(ctr: string, socket: string, archives: readonly string[]): Promise<void> {
  for (const archive of archives) {
    try {
      await run(ctr, ['--address', socket, '-n', 'k8s.io', 'images', 'import', '--snapshotter', 'overlayfs', archive], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      throw new Error(`ctr images import ${archive} failed: ${(error as { stderr?: string }).stderr ?? error}`, {
        cause: error,
      });
    }
  }
}
