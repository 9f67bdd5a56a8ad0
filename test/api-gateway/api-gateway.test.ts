import test from 'ava';
import { call } from '../user-service/fixture.ts';
import { startGateway } from './fixture.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, gw, registerViaGateway, probeCalls } = gatewaySuite();

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
