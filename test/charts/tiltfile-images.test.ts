import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateTiltfile } from '../support/charts-tools.ts';
import { buildImage, projectImages, runContainer, serviceBuild } from '../support/containers.ts';
import { waitFor } from '../support/process.ts';
import {
  dockerfileOf,
  images,
  ownDockerfile,
  registry,
  repo,
  tiltfile,
  treeWithAllDockerfiles,
} from './tilt-inputs.ts';

// The images Tilt builds: which Dockerfile and stage, and how each live-updates.

/** The instruction lines a Dockerfile stage `FROM … AS name` runs, its parent stages' included. */
function stage(dockerfile: string, name: string): string[] {
  const lines = readFileSync(dockerfile, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const start = lines.findIndex((l) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'i').test(l));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^FROM\s/i.test(l));
  const parent = /^FROM\s+(\S+)/i.exec(lines[start]!)?.[1] ?? '';
  const inherited = parent.includes('/') ? [] : stage(dockerfile, parent);
  return [...inherited, ...lines.slice(start, end < 0 ? undefined : end)];
}
/** Every Dockerfile the Node service images build from. */
const dockerfiles = [...new Set(images.map(([, dir]) => dockerfileOf(dir)))];

test('the Tiltfile builds each Node service from the shared Dockerfile with SERVICE naming it, the web from its own', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.deepEqual(result.images.map((i) => i.ref).sort(), images.map(([name]) => `cf/${name}`).sort());
  for (const [name, dir] of images) {
    const image = result.images.find((i) => i.ref === `cf/${name}`);
    t.is(image?.dockerfile, join(repo, dockerfileOf(dir)), name);
    t.deepEqual(image?.buildArgs, ownDockerfile.includes(dir) ? {} : { SERVICE: dir }, name);
  }
});

test('with every Dockerfile present, each image live-updates its own sources (the web: its build and server) and the kit', async (t) => {
  const root = treeWithAllDockerfiles();
  const result = await evaluateTiltfile(join(root, 'Tiltfile'), { local: registry });
  t.deepEqual(result.images.map((i) => i.ref).sort(), images.map(([name]) => `cf/${name}`).sort());
  for (const image of result.images) {
    const dir = images.find(([name]) => `cf/${name}` === image.ref)![1];
    t.is(image.dockerfile, join(root, dockerfileOf(dir)));
    t.is(image.liveUpdate[0]?.type, 'fall_back_on');
    t.deepEqual(
      image.liveUpdate.filter((s) => s.type === 'sync').map((s) => s.remotePath),
      dir === 'services/web'
        ? ['/app/services/kit/src', '/app/services/web/dist', '/app/services/web/server']
        : ['/app/services/kit/src', `/app/${dir}/src`],
    );
  }
});

test('defect 4: each image Tilt builds is its Dockerfile dev stage, whose process restarts when a synced file changes', async (t) => {
  const result = await evaluateTiltfile(tiltfile, { local: registry });
  t.true(result.images.length > 0);
  for (const image of result.images) {
    t.is(image.target, 'dev', image.ref);
    const cmd = stage(image.dockerfile, 'dev').find((l) => /^CMD\s/i.test(l)) ?? '';
    t.regex(cmd, /"--watch"/, image.ref);
    // A crash must end the container (the kubelet restarts it); `node --watch` would wait for a file change.
    t.regex(cmd, /"--exitcrash"/, image.ref);
  }
});

test('defect 5: dependencies install before sources are copied, and the runtime stages own their files as uid 1000', (t) => {
  for (const name of dockerfiles) {
    const text = readFileSync(join(repo, name), 'utf8').replace(/\\\n/g, ' ');
    const lines = text.split('\n').filter((l) => /^(FROM|COPY|RUN|USER)\s/i.test(l));
    const install = lines.findIndex((l) => /^RUN\s.*npm ci/i.test(l));
    t.true(install > 0, `${name}: an npm ci step`);
    // Before the first install only package manifests arrive (a stage that strips the tree to them counts).
    for (const line of lines.slice(0, install)) {
      if (/^COPY\s/i.test(line) && !/--from=/i.test(line)) t.regex(line, /package(-lock)?\.json/, `${name}: ${line}`);
    }
    for (const target of ['dev', 'runtime']) {
      const body = stage(join(repo, name), target);
      t.true(body.length > 0, `${name}: a ${target} stage`);
      t.true(body.includes('USER 1000:1000'), `${name} ${target}: USER 1000:1000`);
      for (const copy of body.filter((l) => /^COPY\s/i.test(l) && !/node_modules/.test(l))) {
        t.regex(copy, /--chown=1000:1000/, `${name} ${target}: ${copy}`);
      }
    }
  }
});

test('defect 6: web live-updates the dist/ that a watch build keeps current, which is what its server serves', async (t) => {
  const root = treeWithAllDockerfiles();
  const result = await evaluateTiltfile(join(root, 'Tiltfile'), { local: registry });
  const web = result.images.find((i) => i.ref === 'cf/web');
  const syncs = web?.liveUpdate.filter((s) => s.type === 'sync').map((s) => s.remotePath) ?? [];
  t.true(syncs.includes('/app/services/web/dist'));
  t.false(syncs.includes('/app/services/web/src'));
  const build = result.resources.find((r) => r.type === 'local' && /vite build[^|;&]*--watch/.test(r.serveCmd ?? ''));
  t.truthy(build, 'a local_resource serving `vite build --watch`');
  // The server serves WEB_ROOT, whose default is that dist/ (services/web/server/config.ts).
  t.regex(readFileSync(join(repo, 'services/web/server/config.ts'), 'utf8'), /WEB_ROOT: .*'\.\.\/dist'/);
});

test('the Node services build from one Dockerfile, which names none of them: the build arg SERVICE does', (t) => {
  const built = projectImages();
  t.deepEqual(built.map((i) => i.name).sort(), images.map(([name]) => name).sort());
  for (const [name, dir] of images.filter(([, d]) => !ownDockerfile.includes(d))) {
    const image = built.find((i) => i.name === name);
    t.is(image?.dockerfile, join(repo, 'Dockerfile'), name);
    t.deepEqual(image?.buildArgs, { SERVICE: dir }, name);
    t.true(existsSync(join(repo, dir, 'src/main.ts')), `${name}: the program the Dockerfile runs`);
  }
  const instructions = readFileSync(join(repo, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'));
  for (const [, dir] of images)
    t.false(
      instructions.some((l) => l.includes(dir)),
      dir,
    );
});

test('live update on a dev image: the container user may rewrite a synced source, and the watcher (nodemon) serves the edit', async (t) => {
  const tag = 'localhost/cf/minimal-service:dev-test';
  const dir = 'test/fixtures/minimal-service';
  await buildImage({ ...serviceBuild(dir, 'services/kit'), tag, target: 'dev' });
  const container = await runContainer({ image: tag, readOnlyRoot: false });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/items/1`)).json(), { id: 1 });
  // What Tilt's sync does: write the file in place as the container's user (uid 1000, like Tilt's exec).
  const edit = await container.exec([
    'sed',
    '-i',
    's/ctx.body = { id: 1 };/ctx.body = { id: 1, synced: true };/',
    `/app/${dir}/src/main.ts`,
  ]);
  t.is(edit.code, 0, 'the synced file is writable by the runtime user');
  const served = async (): Promise<unknown> =>
    (await fetch(`${container.url}/items/1`, { signal: AbortSignal.timeout(1000) })).json();
  await waitFor(async () => JSON.stringify(await served().catch(() => null)) === '{"id":1,"synced":true}', {
    what: 'the restarted service to serve the edited route',
    timeoutMs: 30_000,
    intervalMs: 250,
  });
  t.deepEqual(await served(), { id: 1, synced: true });
});
