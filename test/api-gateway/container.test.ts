import test from 'ava';
import { buildImage, runContainer, serviceBuild } from '../support/containers.ts';
import { call, startUserServiceFixture } from '../user-service/fixture.ts';

test('the api-gateway image serves /healthz as uid 1000 on a read-only root and proxies to user-service', async (t) => {
  const users = await startUserServiceFixture();
  t.teardown(() => users.stop());
  const tag = 'localhost/cf/api-gateway:test';
  await buildImage({ ...serviceBuild('services/api-gateway'), tag });
  const container = await runContainer({
    image: tag,
    // One replica: its rate limits may count in memory (the shared store is proven in shared-limits.test.ts).
    env: { USER_SERVICE_URL: users.url, INTEGRATION_SERVICE_URL: users.url, RATE_LIMIT_STORE: 'memory' },
    // Ready once the revocation list is loaded; /healthz answers before that (on a loaded machine, for a while).
    readyPath: '/readyz',
  });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/healthz`)).json(), { status: 'ok' });
  t.is((await fetch(`${container.url}/readyz`)).status, 200);
  t.is((await container.exec(['id', '-u'])).stdout.trim(), '1000');
  t.not((await container.exec(['sh', '-c', 'touch /app/x'])).code, 0);
  const registered = await call(container.url, 'POST', '/api/auth/register', {
    body: { email: 'gw-container@example.org', password: 'through the gateway' },
  });
  t.is(registered.status, 201);
});
