// What test/e2e needs before ava starts (run from test/support/prepare.ts): the node's binaries and images, built
// once per machine and cached, with timings so a cold CI run shows where its time goes.
import { projectImages } from '../service-images.ts';
import { resolveBundle, resolveNodeBinaries } from './builds.ts';
import { corednsImage, pauseImage, probeImage } from './images.ts';
import {
  cloudnativePgImage,
  openbaoImage,
  operatorImages,
  postgresImage,
  postgresImageName,
  projectImage,
  traefikImage,
  type BuiltImage,
} from './platform-images.ts';

/**
 * Builds (or finds) every node binary, the node's own images and the database images the dev profile runs;
 * throws what is missing and how to get it.
 */
export async function prepareNode(progress: (line: string) => void): Promise<void> {
  const started = Date.now();
  const binaries = await resolveNodeBinaries((bundle, line) => progress(`[${bundle}] ${line}`));
  await pauseImage();
  await corednsImage(binaries.coredns);
  await probeImage();
  // The Tiltfile installs cert-manager with helm.
  await resolveBundle('helm', (line) => progress(`[helm] ${line}`));
  // The dev profile's database, built here from Go modules and Debian packages (cold: minutes), so the platform
  // suite's `before` only assembles images.
  await cloudnativePgImage((line) => progress(`[cloudnative-pg] ${line}`));
  await postgresImage(postgresImageName(), (line) => progress(`[postgresql] ${line}`));
  progress(`node binaries and images ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * The images manifests/dev and the Tiltfile name: every Node service's (rebuilt so it holds the working tree;
 * podman's layer cache makes an unchanged one quick), OpenBao, CloudNativePG, PostgreSQL, cert-manager and (unless
 * `traefik: false`) Traefik, cached by version. `target`: the Dockerfiles' stage (`dev` as Tilt builds).
 */
export async function platformImages(
  progress: (line: string) => void,
  options: { traefik?: boolean; target?: string } = {},
): Promise<BuiltImage[]> {
  const built: BuiltImage[] = [];
  for (const { name, ...build } of projectImages())
    built.push(await projectImage(name, build, progress, options.target));
  built.push(await openbaoImage(), ...(await operatorImages(postgresImageName(), progress)));
  if (options.traefik ?? true) built.push(await traefikImage(progress));
  for (const image of built) progress(`${image.name}: ${image.seconds} s`);
  return built;
}
