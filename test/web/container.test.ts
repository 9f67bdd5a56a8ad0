import test from 'ava';
import { buildImage, runContainer, serviceBuild } from '../support/containers.ts';

test('the web image serves the built UI and /healthz as uid 1000 on a read-only root', async (t) => {
  const tag = 'localhost/cf/web:test';
  await buildImage({ ...serviceBuild('services/web'), tag });
  const container = await runContainer({ image: tag });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/healthz`)).json(), { status: 'ok' });
  const page = await fetch(`${container.url}/connect/phone`);
  t.is(page.status, 200);
  t.regex(await page.text(), /<cf-app><\/cf-app>/);
  t.is((await container.exec(['id', '-u'])).stdout.trim(), '1000');
  t.not((await container.exec(['sh', '-c', 'touch /app/x'])).code, 0);
});
