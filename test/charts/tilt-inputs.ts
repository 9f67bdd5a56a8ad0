import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TiltResult } from '../support/charts-tools.ts';

// What the Tiltfile suites (tiltfile-resources, tiltfile-commands, tiltfile-images) evaluate it with and read
// its result by. Tests named "defect N" hold Tilt's own rules (FACTS.md "Learned from trying the platform"), as
// the Starlark runner models them; later ones what real Tilt (built from tilt-dev/tilt, `tilt alpha
// tiltfile-result` against a real API server) reported.

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const tiltfile = join(repo, 'Tiltfile');
export const registry = { 'local-registry-hosting': 'host: "localhost:5001"' };
export const images: [string, string][] = [
  ['api-gateway', 'services/api-gateway'],
  ['integration-service', 'services/integration-service'],
  ['user-service', 'services/user-service'],
  ['web', 'services/web'],
  ['vault-unsealer', 'operators/vault-unsealer'],
];
/** The Node services whose image is not the shared Dockerfile's: the web adds a Vite build in its own. */
export const ownDockerfile = ['services/web'];
/** The Dockerfile each image builds from, relative to the repository root. */
export const dockerfileOf = (dir: string): string => (ownDockerfile.includes(dir) ? `${dir}/Dockerfile` : 'Dockerfile');

/** A copy of the repository's Tilt inputs with the shared Node service Dockerfile, the web's own, and sources. */
export function treeWithAllDockerfiles(): string {
  const root = mkdtempSync(join(tmpdir(), 'cf-tilt-'));
  cpSync(tiltfile, join(root, 'Tiltfile'));
  symlinkSync(join(repo, 'manifests'), join(root, 'manifests'));
  for (const file of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'services/kit/src/index.ts',
    'charts-ts/src/app.ts',
  ]) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  writeFileSync(join(root, 'Dockerfile'), 'FROM scratch AS dev\n');
  for (const [, dir] of images) {
    mkdirSync(join(root, dir, 'src'), { recursive: true });
    if (ownDockerfile.includes(dir)) writeFileSync(join(root, dir, 'Dockerfile'), 'FROM scratch AS dev\n');
    mkdirSync(join(root, dir, 'dist'), { recursive: true });
    writeFileSync(join(root, dir, 'package.json'), '{}');
  }
  return root;
}

type Resource = TiltResult['resources'][number];
export const resourceNamed = (result: TiltResult, name: string): Resource => {
  const found = result.resources.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no resource ${name}`);
  return found;
};
