// The images manifests/dev names, built here because no registry is reachable: every Node service of the repository
// with the podman harness (tagged as the dev manifests spell them, `cf/<name>` → docker.io/cf/<name>:latest), and
// the upstream components from their Go modules or release binaries, under their upstream names.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBinary } from '../built-binaries.ts';
import { BASE_IMAGES, buildImage, debootstrapImage, imageExists, podman } from '../containers.ts';
import { scratchDir } from '../process.ts';
import type { ServiceBuild } from '../service-images.ts';
import { versions } from '../build-versions.ts';
import { resolveBundle } from './builds.ts';
import { archivePath, saveArchive } from './images.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** How containerd names `cf/<name>` (no registry, no tag) once normalised. */
export function projectImageName(name: string): string {
  return `docker.io/cf/${name}:latest`;
}

export interface BuiltImage {
  name: string;
  archive: string;
  /** Seconds spent building (0 when the archive was cached). */
  seconds: number;
}

async function timed(name: string, make: () => Promise<string>): Promise<BuiltImage> {
  const started = Date.now();
  const archive = await make();
  return { name, archive, seconds: Math.round((Date.now() - started) / 1000) };
}

/**
 * Builds one project image (the podman layer cache makes an unchanged rebuild quick) and saves its archive.
 * Always rebuilt: the archive must hold the working tree's sources.
 */
export function projectImage(
  name: string,
  build: ServiceBuild,
  progress: (line: string) => void,
  /** The Dockerfile stage: `dev` is what Tilt builds; default the last (production's). */
  target?: string,
): Promise<BuiltImage> {
  const tag = projectImageName(name);
  return timed(tag, async () => {
    await buildImage({ ...build, tag, ...(target === undefined ? {} : { target }) }, progress);
    return saveArchive(tag);
  });
}

/** An image from a Containerfile written here around files copied into its context; cached by tag. */
export async function contextImage(
  tag: string,
  files: Record<string, string>,
  containerfile: string,
): Promise<BuiltImage> {
  return timed(tag, async () => {
    if (existsSync(archivePath(tag))) return archivePath(tag);
    const context = scratchDir('image');
    for (const [to, from] of Object.entries(files)) copyFileSync(from, join(context, to));
    writeFileSync(join(context, 'Containerfile'), containerfile);
    await podman(['build', '--pull=never', '-t', tag, '-f', join(context, 'Containerfile'), context]);
    return saveArchive(tag);
  });
}

/** OpenBao's server under the name manifests/dev uses, on the Debian stand-in base (its command is `bao`). */
export async function openbaoImage(): Promise<BuiltImage> {
  const bao = await resolveBinary('vault');
  return contextImage(
    `quay.io/openbao/openbao:${versions.vault.version}`,
    { bao: bao.path },
    [
      `FROM ${BASE_IMAGES.debian}`,
      'COPY bao /usr/local/bin/bao',
      'RUN groupadd --gid 1000 openbao && useradd --uid 100 --gid openbao --no-create-home openbao',
      'ENTRYPOINT ["bao"]',
      '',
    ].join('\n'),
  );
}

/** Traefik (the Tiltfile's Gateway implementation) under the name the Tiltfile's Deployment uses. */
export async function traefikImage(progress: (line: string) => void): Promise<BuiltImage> {
  const dir = await resolveBundle('traefik', progress);
  return contextImage(
    `docker.io/library/traefik:${versions.node.traefik.version}`,
    { traefik: join(dir, 'traefik') },
    'FROM scratch\nCOPY traefik /traefik\nUSER 65532:65532\nENTRYPOINT ["/traefik"]\n',
  );
}

/**
 * An upstream image built earlier on this machine (podman, or its cached archive), imported under `as` (the name
 * the manifests use). Throws how to get it when neither exists: these are built from Go modules whose `cmd/*`
 * packages the module proxy may refuse (cert-manager's cmd/* modules 404 and vcert 403 on a fresh machine).
 */
export async function upstreamImage(source: string, as: string | undefined, howToGet: string): Promise<BuiltImage> {
  const name = as ?? source;
  return timed(name, async () => {
    if (existsSync(archivePath(name))) return archivePath(name);
    const has = await podman(['image', 'exists', source]).then(
      () => true,
      () => false,
    );
    if (!has) throw new Error(`no image ${source} in podman and no archive ${archivePath(name)}: ${howToGet}`);
    if (name !== source) await podman(['tag', source, name]);
    return saveArchive(name);
  });
}

/** The PostgreSQL image manifests/dev's CloudNativePG Cluster names (its `imageName`). */
export function postgresImageName(): string {
  const match = /imageName: (\S+)/.exec(readFileSync(join(repo, 'manifests', 'dev', '03-data.yaml'), 'utf8'));
  if (match === null) throw new Error('manifests/dev/03-data.yaml names no PostgreSQL imageName');
  return match[1]!;
}

/**
 * The CloudNativePG operator, built from its Go module, laid out as its release image is: the binary per
 * architecture at `/operator/manager_<GOARCH>` (the operator reads the architectures it can give instances from
 * that glob and refuses a Cluster otherwise: "invalid architecture"), `/manager` the one it runs, as user 65532.
 */
export async function cloudnativePgImage(progress: (line: string) => void): Promise<BuiltImage> {
  const dir = await resolveBundle('cloudnative-pg', progress);
  const goArch = process.arch === 'x64' ? 'amd64' : process.arch;
  return contextImage(
    `ghcr.io/cloudnative-pg/cloudnative-pg:${versions.crds.cloudnativePg.version.slice(1)}`,
    { manager: join(dir, 'manager') },
    // A copy, not the upstream symlink: scratch has no shell to make one, and the bytes are shared by layer dedup.
    `FROM scratch\nCOPY manager /operator/manager_${goArch}\nCOPY manager /manager\nUSER 65532:65532\nENTRYPOINT ["/manager"]\n`,
  );
}

/** Debian's newest suite: the first whose archive carries PostgreSQL 18 (bookworm has 15, trixie 17). */
const POSTGRES_BASE = {
  suite: 'forky',
  tag: 'localhost/cf-debian:forky',
  script: '/usr/share/debootstrap/scripts/sid',
};

/**
 * A PostgreSQL 18 image CloudNativePG accepts, under `as` (the dev Cluster's `imageName`), built from Debian's
 * postgresql-18 package the way the upstream `system` images are (Debian + PostgreSQL packages): the server
 * binaries on PATH and the `postgres` user at uid/gid 26, the uid CloudNativePG runs instances as (its
 * `postgresUID` default). Debian carries only its current 18.x, so the minor may differ from the tag's; the
 * operator reads the major from the tag. No barman-cloud: dev has no backups. Cached by tag (cold: about 2 min).
 */
export async function postgresImage(as: string, progress: (line: string) => void): Promise<BuiltImage> {
  if (!existsSync(archivePath(as)) && !(await imageExists(POSTGRES_BASE.tag))) {
    progress(`debootstrap ${POSTGRES_BASE.suite} minbase for PostgreSQL 18 (about a minute, once per machine)`);
    await debootstrapImage(POSTGRES_BASE.suite, POSTGRES_BASE.tag, POSTGRES_BASE.script);
  }
  return contextImage(
    as,
    {},
    [
      `FROM ${POSTGRES_BASE.tag}`,
      // gid 26 is Debian's `tape` group, which nothing in this image uses.
      'RUN groupdel tape && groupadd --system --gid 26 postgres \\',
      ' && useradd --system --uid 26 --gid 26 --home-dir /var/lib/postgresql --shell /bin/bash postgres \\',
      // The operator runs initdb itself; the package must not create a cluster of its own.
      ' && mkdir -p /etc/postgresql-common/createcluster.d \\',
      " && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/cf.conf \\",
      // The package mirror may serve a testing suite as of an earlier day, past its Release file's Valid-Until.
      ' && apt-get -o Acquire::Check-Valid-Until=false update -q \\',
      ' && apt-get install -y -q --no-install-recommends postgresql-18 \\',
      ' && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb',
      'ENV PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'USER 26',
      '',
    ].join('\n'),
  );
}

/** What the dev profile needs from outside the repository besides OpenBao and Traefik: CloudNativePG, cert-manager. */
export async function operatorImages(
  postgresImageName: string,
  progress: (line: string) => void = () => {},
): Promise<BuiltImage[]> {
  const cm = versions.crds.certManager.version;
  // cert-manager's cmd/* are modules of their own, which the proxy does not serve, and its Venafi issuer needs
  // github.com/Venafi/vcert/v5, which the proxy refuses (403): it cannot be built here, only brought in.
  const certManagerHow =
    `build cert-manager ${cm}'s cmd/{controller,webhook,cainjector,startupapicheck} from checkouts of ` +
    'github.com/cert-manager/cert-manager and github.com/Venafi/vcert into scratch images under these names ' +
    "(README, 'Test binaries', says how; about 4 minutes)";
  const built = [await cloudnativePgImage(progress), await postgresImage(postgresImageName, progress)];
  for (const part of ['controller', 'webhook', 'cainjector', 'startupapicheck'])
    built.push(await upstreamImage(`quay.io/jetstack/cert-manager-${part}:${cm}`, undefined, certManagerHow));
  return built;
}
