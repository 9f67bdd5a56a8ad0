import test from 'ava';
import { buildImage, runContainer, serviceBuild } from '../support/containers.ts';
import { startUserServiceFixture } from '../user-service/fixture.ts';
import { backingServicesEnv } from '@cf/embedded/service-env';

const tag = 'localhost/cf/integration-service:test';

test('the integration-service image runs as uid 1000 on a read-only root and connects a demo account', async (t) => {
  const users = await startUserServiceFixture();
  t.teardown(() => users.stop());
  await users.postgres.query('CREATE DATABASE integrations');
  await buildImage({ ...serviceBuild('services/integration-service'), tag });
  const container = await runContainer({
    image: tag,
    readyPath: '/readyz',
    env: {
      TELEGRAM_MODE: 'demo',
      // Not about issue 18's unverified policy (verified-only.test.ts is): its users register and connect at once.
      UNVERIFIED_MAY_NOT: 'none',
      POD_NAME: 'integration-service-0',
      ...backingServicesEnv(users.postgres, users.vault),
      VAULT_TRANSIT_ENSURE: 'true',
      JWKS_URL: `${users.url}/.well-known/jwks.json`,
    },
  });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/healthz`)).json(), { status: 'ok' });
  t.is((await container.exec(['id', '-u'])).stdout.trim(), '1000');
  t.not((await container.exec(['sh', '-c', 'touch /app/x'])).code, 0);
  const registered = await fetch(`${users.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.3.3.3' },
    body: JSON.stringify({ email: 'tg-container@example.org', password: 'a container password' }),
  });
  const token = ((await registered.json()) as { session: { access_token: string } }).session.access_token;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const started = await fetch(`${container.url}/telegram/logins/phone`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ phone: '+15550001111' }),
  });
  t.is(started.status, 201);
  const { loginId } = (await started.json()) as { loginId: string };
  const done = await fetch(`${container.url}/telegram/logins/${loginId}/code`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ code: '12345' }),
  });
  t.like(await done.json(), { state: 'connected' });
});
