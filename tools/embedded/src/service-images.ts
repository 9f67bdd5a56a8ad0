// How the repository's Node services become images: the one Node service Dockerfile at the repository root, told
// which service by build args, unless a service has a Dockerfile of its own (the web: it adds a Vite build). The
// Tiltfile follows the same rule.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from './containers.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** What `buildImage` needs besides the tag and the stage. */
export type ServiceBuild = Required<Pick<BuildOptions, 'context' | 'dockerfile' | 'buildArgs'>>;

/**
 * The build of the service in `directory` (relative to the repository root): its own Dockerfile if it has one,
 * else the shared one with `SERVICE` = the directory and, when given, `WORKSPACE` = the npm workspace whose
 * production dependencies it needs (default: its own; the test fixture, which is no workspace, names the kit's).
 */
export function serviceBuild(directory: string, workspace?: string): ServiceBuild {
  const own = join(repo, directory, 'Dockerfile');
  if (existsSync(own)) return { context: repo, dockerfile: own, buildArgs: {} };
  return {
    context: repo,
    dockerfile: join(repo, 'Dockerfile'),
    buildArgs: { SERVICE: directory, ...(workspace === undefined ? {} : { WORKSPACE: workspace }) },
  };
}

/**
 * Every deployable Node service (services/* and operators/* with a program, src/main.ts, or a Dockerfile of its
 * own), by the name its image has in manifests/dev, with its build.
 */
export function projectImages(): ({ name: string } & ServiceBuild)[] {
  const found: ({ name: string } & ServiceBuild)[] = [];
  for (const parent of ['services', 'operators']) {
    for (const name of readdirSync(join(repo, parent))) {
      const directory = `${parent}/${name}`;
      const deployable = ['Dockerfile', 'src/main.ts'].some((file) => existsSync(join(repo, directory, file)));
      if (deployable) found.push({ name, ...serviceBuild(directory) });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
