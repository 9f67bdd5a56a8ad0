// The dev platform on a fresh node, brought up as `tilt up` brings it: images built here and imported, the
// Tiltfile's add-on commands, then manifests/dev's chart files in order. Every real-node platform suite starts this
// way (test/e2e/platform*.test.ts), then tests what it is about on top.
import { runTiltInstalls, type AddOnRun } from './add-ons.ts';
import { startNode, type RunningNode } from './node.ts';
import { applyDevManifests } from './platform.ts';
import type { BuiltImage } from './platform-images.ts';
import { platformImages } from './prepare-node.ts';
import { createVolumePool } from './storage.ts';

export interface PlatformUp {
  node: RunningNode;
  images: BuiltImage[];
  addOnRuns: AddOnRun[];
  /** Milliseconds per step: `images`, `nodeStart`, `nodeReady` (from the node's start), `addOns`, `apply`. */
  timings: Record<string, number>;
  /** When the last chart file was applied (ms since epoch). */
  applied: number;
}

export interface PlatformUpOptions {
  /** The Tiltfile's add-on local_resources to run, in order (e.g. no Traefik: its build is long). */
  addOns: readonly string[];
  /** Which manifests/dev files to apply. */
  charts: (file: string) => boolean;
  /** Traefik, the Tiltfile's Gateway implementation (its cold build is the longest). Default: false. */
  traefik?: boolean;
  /** Images besides the platform's (the Dockerfiles' dev stage, as Tilt builds them). */
  extraImages?: (progress: (line: string) => void) => Promise<BuiltImage[]>;
  /** hostPath volumes of 2Gi for the claims (PostgreSQL, Vault, and whatever else the suite runs). */
  volumes: number;
  progress: (line: string) => void;
  /** How long to wait for other node runs holding the machine's node lock (startNode's default: 20 min). */
  lockTimeoutMs?: number;
}

/** Builds the images, starts the node and applies the platform; the caller stops `node`. */
export async function bringUpPlatform(options: PlatformUpOptions): Promise<PlatformUp> {
  const { progress } = options;
  const timings: Record<string, number> = {};
  let started = Date.now();
  const images = [
    ...(await platformImages(progress, { traefik: options.traefik ?? false, target: 'dev' })),
    ...((await options.extraImages?.(progress)) ?? []),
  ];
  timings['images'] = Date.now() - started;
  started = Date.now();
  const node = await startNode({
    images: images.map((i) => i.archive),
    progress,
    ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
  });
  timings['nodeStart'] = Date.now() - started;
  timings['nodeReady'] = node.timings['nodeReady']!;
  try {
    await createVolumePool(node, options.volumes, '2Gi');
    started = Date.now();
    const addOnRuns = await runTiltInstalls(node, options.addOns, progress);
    timings['addOns'] = Date.now() - started;
    started = Date.now();
    await applyDevManifests(node, options.charts);
    timings['apply'] = Date.now() - started;
    return { node, images, addOnRuns, timings, applied: Date.now() };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
