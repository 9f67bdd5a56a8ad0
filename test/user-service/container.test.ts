import test from 'ava';
import { buildImage, runContainer, serviceBuild } from '../support/containers.ts';
import { startPostgres } from '../support/postgres.ts';
import { startVault } from '../support/vault.ts';
import { backingServicesEnv } from '@cf/embedded/service-env';
import { startTogether } from '@cf/embedded/process';

const tag = 'localhost/cf/user-service:test';

test('the user-service image serves /healthz as uid 1000 on a read-only root and registers a user', async (t) => {
  const [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
  t.teardown(async () => {
    await Promise.all([postgres.stop(), vault.stop()]);
  });
  await postgres.query('CREATE DATABASE users');
  await buildImage({ ...serviceBuild('services/user-service'), tag });
  const container = await runContainer({
    image: tag,
    // Registration below is a plain API call: no widget solves a captcha here (captcha.test.ts covers it).
    env: { ...backingServicesEnv(postgres, vault), CAPTCHA_REQUIRED: 'false' },
  });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/healthz`)).json(), { status: 'ok' });
  t.is((await fetch(`${container.url}/readyz`)).status, 200);
  t.is((await container.exec(['id', '-u'])).stdout.trim(), '1000');
  t.not((await container.exec(['sh', '-c', 'touch /app/x'])).code, 0);
  const registered = await fetch(`${container.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'container@example.org', password: 'a container password' }),
  });
  t.is(registered.status, 201);
});
