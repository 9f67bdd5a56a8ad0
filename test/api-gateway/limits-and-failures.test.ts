import test from 'ava';
import { freePort } from '../support/process.ts';
import { call } from '../user-service/fixture.ts';
import { startGateway } from './fixture.ts';
import { startProbe } from './probe.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, gw, registerViaGateway, probeCalls } = gatewaySuite();

// --- limits and failures -------------------------------------------------------------------------

test.serial('too many requests from one address get 429 with Retry-After', async (t) => {
  const limited = await startGateway({
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: probe.url,
    RATE_LIMIT_PER_IP: '3',
  });
  t.teardown(() => limited.stop());
  const statuses: number[] = [];
  let last: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 4; i += 1) {
    last = await call(limited.url, 'GET', '/api/openapi.json');
    statuses.push(last.status);
  }
  t.deepEqual(statuses, [200, 200, 200, 429]);
  t.true(Number(last?.headers.get('retry-after')) >= 1);
});

test.serial('too many requests from one user get 429 whatever address they come from', async (t) => {
  const limited = await startGateway({
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: probe.url,
    RATE_LIMIT_PER_USER: '2',
    TRUSTED_PROXIES: '127.0.0.1',
  });
  t.teardown(() => limited.stop());
  const account = await registerViaGateway();
  const statuses: number[] = [];
  for (let i = 0; i < 3; i += 1)
    statuses.push(
      (await call(limited.url, 'GET', '/api/telegram/accounts', { token: account.accessToken, ip: `10.0.0.${i}` }))
        .status,
    );
  t.deepEqual(statuses, [200, 200, 429]);
});

test.serial('an upstream that is down is a 503 problem, not a 500 or a hang', async (t) => {
  const port = await freePort();
  const down = await startGateway({ USER_SERVICE_URL: users.url, INTEGRATION_SERVICE_URL: `http://127.0.0.1:${port}` });
  t.teardown(() => down.stop());
  const account = await registerViaGateway();
  const response = await call(down.url, 'GET', '/api/telegram/accounts', { token: account.accessToken });
  t.is(response.status, 503);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
  t.regex(String(response.body['detail']), /integration-service is unavailable/);
});

test.serial('an upstream that does not answer in time is a 504 problem', async (t) => {
  const slow = await startProbe();
  slow.mode = 'hang';
  const timing = await startGateway({
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: slow.url,
    UPSTREAM_TIMEOUT_MS: '300',
  });
  t.teardown(async () => {
    await timing.stop();
    await slow.close();
  });
  const account = await registerViaGateway();
  const started = Date.now();
  const response = await call(timing.url, 'POST', '/api/telegram/logins/qr', { token: account.accessToken, body: {} });
  t.is(response.status, 504);
  t.true(Date.now() - started < 3000);
});

test.serial('only GETs are retried after a dropped connection', async (t) => {
  const flaky = await startProbe();
  flaky.mode = 'drop-first';
  const retrying = await startGateway({ USER_SERVICE_URL: users.url, INTEGRATION_SERVICE_URL: flaky.url });
  t.teardown(async () => {
    await retrying.stop();
    await flaky.close();
  });
  const account = await registerViaGateway();
  const get = await call(retrying.url, 'GET', '/api/telegram/accounts', { token: account.accessToken });
  t.is(get.status, 200);
  t.is(flaky.requests.filter((r) => r.method === 'GET').length, 2);
  const post = await call(retrying.url, 'POST', '/api/telegram/logins/qr', { token: account.accessToken, body: {} });
  t.true(post.status === 503 || post.status === 502);
  t.is(flaky.requests.filter((r) => r.method === 'POST').length, 1);
});

test.serial('a body over the limit is 413 and malformed JSON is 400 at the edge', async (t) => {
  const account = await registerViaGateway();
  const before = probe.requests.length;
  const big = await call(gw.url, 'POST', '/api/telegram/logins/phone', {
    token: account.accessToken,
    rawBody: JSON.stringify({ phone: 'x'.repeat(70_000) }),
  });
  t.is(big.status, 413);
  const bad = await call(gw.url, 'POST', '/api/telegram/logins/phone', {
    token: account.accessToken,
    rawBody: '{"phone":',
  });
  t.is(bad.status, 400);
  t.is(probeCalls(before), 0);
});

/** The JSON body of one image upload of `bytes` bytes, as the web sends it (base64). */
function imageUpload(bytes: number): string {
  return JSON.stringify({ mimeType: 'image/png', data: Buffer.alloc(bytes, 7).toString('base64') });
}

test.serial('an image of 10 MB passes the edge to integration-service whole', async (t) => {
  const account = await registerViaGateway();
  const before = probe.requests.length;
  const body = imageUpload(10 * 1024 * 1024);
  const upload = await call(gw.url, 'POST', '/api/telegram/posts/images', {
    token: account.accessToken,
    rawBody: body,
  });
  t.is(upload.status, 200);
  t.is(probeCalls(before), 1);
  t.is(probe.requests.at(-1)?.body.length, body.length);
});

test.serial('an image body above its route’s limit is a 413 problem at the edge', async (t) => {
  const account = await registerViaGateway();
  const before = probe.requests.length;
  const upload = await call(gw.url, 'POST', '/api/telegram/posts/images', {
    token: account.accessToken,
    rawBody: imageUpload(11 * 1024 * 1024),
  });
  t.is(upload.status, 413);
  t.is(upload.headers.get('content-type'), 'application/problem+json');
  t.is(probeCalls(before), 0);
});

test.serial('the image route’s larger limit is that route’s only: other routes keep the default', async (t) => {
  const account = await registerViaGateway();
  const before = probe.requests.length;
  const other = await call(gw.url, 'POST', '/api/telegram/posts', {
    token: account.accessToken,
    rawBody: imageUpload(100 * 1024),
  });
  t.is(other.status, 413);
  t.is(probeCalls(before), 0);
});

test.serial('unknown API paths are 404 problems', async (t) => {
  const response = await call(gw.url, 'GET', '/api/nothing-here');
  t.is(response.status, 404);
  t.is(response.headers.get('content-type'), 'application/problem+json');
});
