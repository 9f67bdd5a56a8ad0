import test from 'ava';
import { buildImage, runContainer, serviceBuild } from '../support/containers.ts';

const tag = 'localhost/cf/minimal-service:test';

test('a kit service built from the Node service Dockerfile answers /healthz as a non-root user on a read-only root', async (t) => {
  await buildImage({ ...serviceBuild('test/fixtures/minimal-service', 'services/kit'), tag });
  const container = await runContainer({ image: tag });
  t.teardown(() => container.stop());
  const health = await fetch(`${container.url}/healthz`);
  t.deepEqual(await health.json(), { status: 'ok' });
  t.deepEqual(await (await fetch(`${container.url}/whoami`)).json(), { uid: 1000 });
  const id = await container.exec(['id', '-u']);
  t.is(id.stdout.trim(), '1000');
  const write = await container.exec(['sh', '-c', 'touch /app/should-fail']);
  t.not(write.code, 0, 'the root filesystem is read-only');
  const problem = await fetch(`${container.url}/nowhere`);
  t.is(problem.status, 404);
  t.is(problem.headers.get('content-type'), 'application/problem+json');
});
