import test, { type ExecutionContext } from 'ava';
import { createHmac, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { freePort } from '../support/process.ts';
import {
  call,
  registerAccount,
  signedAccessToken,
  userServiceFixtureForFile,
  type Account,
} from '../user-service/fixture.ts';
import { gatewayForFile, probeForFile, startGateway } from './fixture.ts';
import { startProbe } from './probe.ts';

// Every test registers its own user from 127.0.0.1: more than user-service's default 20 per address.
const users = userServiceFixtureForFile({ REGISTER_LIMIT_PER_IP: '1000' });
const probe = probeForFile();
const gw = gatewayForFile(() => ({
  USER_SERVICE_URL: users.url,
  INTEGRATION_SERVICE_URL: probe.url,
  PUBLIC_ORIGIN: 'https://cf.example',
  CORS_ORIGINS: 'https://admin.cf.example',
}));

/** A new account registered through the gateway's /api/auth/register, from the client address `call` defaults to. */
function registerViaGateway(): Promise<Account> {
  return registerAccount(
    `${gw.url}/api`,
    '10.9.9.9',
    `gw-${randomUUID().slice(0, 8)}@example.org`,
    `gateway-${randomUUID()}`,
  );
}

function probeCalls(since: number): number {
  return probe.requests.length - since;
}

test.serial('register and login pass through to user-service with the refresh cookie', async (t) => {
  const account = await registerViaGateway();
  t.regex(account.refreshToken ?? '', /^[A-Za-z0-9_-]{40,}$/);
  const login = await call(gw.url, 'POST', '/api/auth/login', {
    body: { email: account.email, password: account.password },
  });
  t.is(login.status, 200);
  t.regex(login.setCookie ?? '', /cf_refresh=.+HttpOnly|cf_refresh=.+httponly/i);
  const refreshed = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: login.refreshCookie!,
    headers: { origin: 'https://cf.example', 'sec-fetch-site': 'same-origin' },
  });
  t.is(refreshed.status, 200);
});

test.serial('an authenticated request reaches integration-service with the caller’s token', async (t) => {
  const account = await registerViaGateway();
  const before = probe.requests.length;
  const response = await call(gw.url, 'GET', '/api/telegram/accounts?page=2', { token: account.accessToken });
  t.is(response.status, 200);
  t.is(probeCalls(before), 1);
  const seen = probe.requests.at(-1)!;
  t.is(seen.url, '/telegram/accounts?page=2');
  t.is(seen.headers['authorization'], `Bearer ${account.accessToken}`);
});

test.serial('no identity or origin header from a client reaches a service', async (t) => {
  const account = await registerViaGateway();
  await call(gw.url, 'POST', '/api/telegram/logins/phone', {
    token: account.accessToken,
    body: { phone: '+15550000000' },
    ip: '6.6.6.6',
    headers: {
      'x-user-id': 'someone-else',
      'x-user-role': 'admin',
      forwarded: 'for=6.6.6.6',
      'x-real-ip': '6.6.6.6',
      cookie: 'cf_refresh=stolen',
    },
  });
  const seen = probe.requests.at(-1)!;
  t.is(seen.headers['x-user-id'], undefined);
  t.is(seen.headers['x-user-role'], undefined);
  t.is(seen.headers['forwarded'], undefined);
  t.is(seen.headers['x-real-ip'], undefined);
  t.is(seen.headers['cookie'], undefined);
  t.is(seen.headers['x-forwarded-for'], '127.0.0.1', 'the gateway’s own view of the client, not the client’s claim');
  t.deepEqual(JSON.parse(seen.body), { phone: '+15550000000' });
});

test.serial('the request id is propagated upstream and echoed', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'GET', '/api/telegram/accounts', {
    token: account.accessToken,
    headers: { 'x-request-id': 'trace-12345678' },
  });
  t.is(response.headers.get('x-request-id'), 'trace-12345678');
  t.is(probe.requests.at(-1)!.headers['x-request-id'], 'trace-12345678');
});

// --- JWT attack set, rejected before anything reaches a service ------------------------------------

async function rejectedAtEdge(t: ExecutionContext, token: string): Promise<void> {
  const before = probe.requests.length;
  const response = await call(gw.url, 'GET', '/api/telegram/accounts', { token });
  t.is(response.status, 401);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.is(probeCalls(before), 0, 'nothing reached the service');
}

function signed(claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return signedAccessToken(users.service, claims, options);
}

test.serial('a request without a token is rejected at the edge', async (t) => {
  await rejectedAtEdge(t, '');
});

test.serial('alg none is rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  await rejectedAtEdge(
    t,
    jwt.sign(claims, '', {
      algorithm: 'none' as jwt.Algorithm,
      header: { alg: 'none', kid: users.service.keys.current().kid, typ: 'at+jwt' },
    } as jwt.SignOptions),
  );
});

test.serial('HS256 signed with the public key is rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const key = users.service.keys.current();
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })).toString('base64url');
  const payload = account.accessToken.split('.')[1];
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await rejectedAtEdge(
    t,
    `${header}.${payload}.${createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url')}`,
  );
});

test.serial('wrong issuer, wrong audience, expiry and missing exp are rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  await rejectedAtEdge(t, signed({ ...claims, iss: 'https://evil.example' }));
  await rejectedAtEdge(t, signed({ ...claims, aud: 'other' }));
  await rejectedAtEdge(t, signed({ ...claims, iat: now - 3000, exp: now - 1000 }));
  const { exp: _exp, ...noExp } = claims;
  await rejectedAtEdge(t, signed(noExp));
});

test.serial('an unknown kid and a tampered payload are rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  await rejectedAtEdge(
    t,
    jwt.sign(claims, users.service.keys.current().privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', kid: 'forged-kid', typ: 'at+jwt' },
    }),
  );
  const [header, , signature] = account.accessToken.split('.');
  const payload = Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString('base64url');
  await rejectedAtEdge(t, `${header}.${payload}.${signature}`);
});

test.serial('a refresh token used as an access token is rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  await rejectedAtEdge(t, account.refreshToken);
});

test.serial('a token whose session logged out through the gateway is rejected at once', async (t) => {
  const account = await registerViaGateway();
  t.is((await call(gw.url, 'GET', '/api/telegram/accounts', { token: account.accessToken })).status, 200);
  t.is((await call(gw.url, 'POST', '/api/auth/logout', { token: account.accessToken })).status, 204);
  await rejectedAtEdge(t, account.accessToken);
});

test.serial('a token of a session ended elsewhere is rejected once the short cache lapses', async (t) => {
  const account = await registerViaGateway();
  t.is((await call(gw.url, 'GET', '/api/telegram/accounts', { token: account.accessToken })).status, 200);
  await call(users.url, 'POST', '/auth/logout', { token: account.accessToken }); // straight to user-service
  await new Promise((resolve) => setTimeout(resolve, 2100));
  await rejectedAtEdge(t, account.accessToken);
});

test.serial('admin routes need the admin role at the edge', async (t) => {
  const account = await registerViaGateway();
  t.is((await call(gw.url, 'GET', '/api/admin/users', { token: account.accessToken })).status, 403);
});

// --- CSRF ----------------------------------------------------------------------------------------

test.serial('a cookie-authenticated POST from a foreign origin is refused', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: account.refreshToken,
    headers: { origin: 'https://evil.example' },
  });
  t.is(response.status, 403);
  t.is(response.body['detail'], 'cross-site request refused');
});

test.serial('a cookie-authenticated POST marked cross-site is refused', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'POST', '/api/auth/logout', {
    cookie: account.refreshToken,
    headers: { 'sec-fetch-site': 'cross-site' },
  });
  t.is(response.status, 403);
  t.is(
    (await call(gw.url, 'GET', '/api/users/me', { token: account.accessToken })).status,
    200,
    'the session survived',
  );
});

test.serial('a cookie-authenticated POST from an allowed origin passes', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: account.refreshToken,
    headers: { origin: 'https://admin.cf.example', 'sec-fetch-site': 'same-site' },
  });
  t.is(response.status, 403, 'same-site is not same-origin');
  const same = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: account.refreshToken,
    headers: { origin: 'https://cf.example', 'sec-fetch-site': 'same-origin' },
  });
  t.is(same.status, 200);
});

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

// --- OpenAPI, docs, CORS -------------------------------------------------------------------------

test.serial('the aggregated OpenAPI document has the public paths of every upstream that answers', async (t) => {
  const response = await call(gw.url, 'GET', '/api/openapi.json');
  const paths = Object.keys(response.body['paths'] as object);
  t.true(paths.includes('/api/auth/login'));
  t.true(paths.includes('/api/users/me'));
  t.true(paths.includes('/api/admin/users/{id}'));
});

test.serial('the docs page exists only with DEBUG on', async (t) => {
  t.is((await call(gw.url, 'GET', '/api/docs')).status, 404);
  const debug = await startGateway({ USER_SERVICE_URL: users.url, INTEGRATION_SERVICE_URL: probe.url, DEBUG: 'true' });
  t.teardown(() => debug.stop());
  const page = await fetch(`${debug.url}/api/docs`);
  t.is(page.status, 200);
  t.regex(await page.text(), /Content Factory API/);
});

test.serial('CORS answers allowed origins only', async (t) => {
  const allowed = await fetch(`${gw.url}/api/openapi.json`, { headers: { origin: 'https://admin.cf.example' } });
  t.is(allowed.headers.get('access-control-allow-origin'), 'https://admin.cf.example');
  t.is(allowed.headers.get('access-control-allow-credentials'), 'true');
  const foreign = await fetch(`${gw.url}/api/openapi.json`, { headers: { origin: 'https://evil.example' } });
  t.is(foreign.headers.get('access-control-allow-origin'), null);
});

test.serial('responses carry security headers and the gateway exposes metrics', async (t) => {
  const response = await fetch(`${gw.url}/api/openapi.json`);
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.regex(metrics, /http_request_duration_seconds_count\{[^}]*route="\/api\/telegram\/\*rest"/);
});

test.serial('a problem from an upstream names the public path as its instance', async (t) => {
  const answer = await call(gw.url, 'POST', '/api/auth/login', { body: {} });
  t.is(answer.status, 400);
  t.is(answer.headers.get('content-type'), 'application/problem+json');
  t.is(answer.body['instance'], '/api/auth/login');
});

/** Status, body and headers of an answer, less the ones that differ per request or only answer CORS. */
async function comparable(response: Response): Promise<{ status: number; body: string; headers: string[] }> {
  const varying = new Set(['date', 'x-request-id', 'access-control-allow-origin', 'access-control-allow-credentials']);
  const headers = [...response.headers]
    .filter(([name]) => !varying.has(name) && !name.startsWith('access-control-expose'))
    .map(([name, value]) => `${name}: ${value}`)
    .sort();
  return { status: response.status, body: await response.text(), headers };
}

// Requests without a body or an Origin skip koa (services/api-gateway/src/proxy-lane.ts); a browser's CORS request
// to the same route goes through koa. Both must answer the same.
for (const [what, path, token] of [
  ['an authenticated GET to user-service', '/api/users/me', true],
  ['an authenticated GET to integration-service', '/api/telegram/accounts?page=1', true],
  ['a GET without a token', '/api/telegram/accounts', false],
  ['a non-admin GET to an admin route', '/api/admin/users', true],
] as const) {
  test.serial(`${what} answers the same with an Origin (through koa) and without (the proxy lane)`, async (t) => {
    const account = await registerViaGateway();
    const headers: Record<string, string> = token ? { authorization: `Bearer ${account.accessToken}` } : {};
    const lane = await comparable(await fetch(`${gw.url}${path}`, { headers }));
    const koa = await comparable(
      await fetch(`${gw.url}${path}`, { headers: { ...headers, origin: 'https://admin.cf.example' } }),
    );
    t.deepEqual(lane, koa);
  });
}

test.serial('a request the proxy lane answers is counted under its route template', async (t) => {
  const account = await registerViaGateway();
  const count = async (): Promise<number> => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (row) =>
          row.startsWith('http_requests_total{') &&
          row.includes('route="/api/users/*rest"') &&
          row.includes('method="GET"') &&
          row.includes('status="200"'),
      );
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };
  const before = await count();
  t.is((await call(gw.url, 'GET', '/api/users/me', { token: account.accessToken })).status, 200);
  t.is(await count(), before + 1);
});
