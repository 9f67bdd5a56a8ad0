import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createLogger, listen } from '@cf/kit';
import { createGateway } from '../../services/api-gateway/src/app.ts';
import { loadGatewayConfig } from '../../services/api-gateway/src/config.ts';
import { captureLogs } from '../support/log-capture.ts';
import { freePort } from '../support/process.ts';
import { call, userServiceFixtureForFile } from '../user-service/fixture.ts';
import { gatewayForFile, probeForFile } from './fixture.ts';

// The gateway's own checks, proven by what reaches the upstream: here both upstream routes point at a
// recording probe; only the JWKS and the revocation feed come from the real user-service.
const users = userServiceFixtureForFile({ REGISTER_LIMIT_PER_IP: '1000' });
const probe = probeForFile();
/** The file's gateway environment: upstreams at the probe, keys and revocations from the real user-service. */
const edgeEnv = (): Record<string, string> => ({
  USER_SERVICE_URL: probe.url,
  INTEGRATION_SERVICE_URL: probe.url,
  JWKS_URL: `${users.url}/.well-known/jwks.json`,
  REVOCATIONS_URL: `${users.url}/internal/session-revocations`,
  PUBLIC_ORIGIN: 'https://cf.example',
});
const gw = gatewayForFile(edgeEnv);

/** A second gateway in this process with `overrides` on the file's environment, closed when the test ends. */
async function gatewayWith(t: ExecutionContext, overrides: Record<string, string>): Promise<{ url: string }> {
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', ...edgeEnv(), ...overrides });
  const gateway = createGateway(config, createLogger({ name: 'api-gateway', stream: captureLogs().stream }));
  const server = await listen(gateway.app, { port: 0 });
  t.teardown(async () => {
    await server.close();
    await gateway.close();
  });
  return server;
}

async function session(role: 'user' | 'admin' = 'user'): Promise<{ accessToken: string; refreshToken: string }> {
  const email = `edge-${randomUUID().slice(0, 8)}@example.org`;
  const password = `edge-${randomUUID()}`;
  const registered = await call(users.url, 'POST', '/auth/register', { body: { email, password } });
  if (role === 'admin') {
    const id = (registered.body['user'] as { id: string }).id;
    await users.service.store.updateAdminFields(id, { role: 'admin' });
  }
  const login = await call(users.url, 'POST', '/auth/login', { body: { email, password, includeRefreshToken: true } });
  return { accessToken: login.body['access_token'] as string, refreshToken: login.body['refresh_token'] as string };
}

/** A request with the path exactly as written (fetch would normalise it). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method, headers, path }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function reachedSince(before: number): string[] {
  return probe.requests.slice(before).map((seen) => `${seen.method} ${seen.url}`);
}

test.serial('the gateway refuses /api/admin/* to a non-admin before anything is forwarded', async (t) => {
  const { accessToken } = await session();
  const before = probe.requests.length;
  const answer = await call(gw.url, 'GET', '/api/admin/users', { token: accessToken });
  t.is(answer.status, 403);
  t.deepEqual(reachedSince(before), [], 'no /admin request reached the upstream');
});

test.serial('an administrator’s /api/admin/* request is forwarded', async (t) => {
  const { accessToken } = await session('admin');
  const before = probe.requests.length;
  t.is((await call(gw.url, 'GET', '/api/admin/users?page=2', { token: accessToken })).status, 200);
  t.deepEqual(reachedSince(before), ['GET /admin/users?page=2']);
});

test.serial(
  'a request with an Origin, which koa serves instead of the proxy lane, is refused /api/admin/* alike',
  async (t) => {
    const { accessToken } = await session();
    const before = probe.requests.length;
    const answer = await raw('GET', '/api/admin/users', {
      authorization: `Bearer ${accessToken}`,
      origin: 'https://cf.example',
    });
    t.is(answer.status, 403);
    t.deepEqual(reachedSince(before), [], 'no /admin request reached the upstream');
  },
);

for (const variant of ['/api/Admin/users', '/API/admin/users', '/api/admin//users/', '/api//admin/users']) {
  test.serial(`the admin check holds for the path variant ${variant}`, async (t) => {
    const { accessToken } = await session();
    const before = probe.requests.length;
    const answer = await raw('GET', variant, { authorization: `Bearer ${accessToken}` });
    t.is(answer.status, 403);
    t.deepEqual(reachedSince(before), []);
  });
}

for (const variant of ['/api/users/../admin/users', '/api/users/%2e%2e/admin/users', '/api/users%2f..%2fadmin/users']) {
  test.serial(`a path with dot segments or encoded separators is refused: ${variant}`, async (t) => {
    const { accessToken } = await session();
    const before = probe.requests.length;
    const answer = await raw('GET', variant, { authorization: `Bearer ${accessToken}` });
    t.is(answer.status, 400);
    t.is(answer.type, 'application/problem+json');
    t.is(JSON.parse(answer.body).detail, 'the request path is not in canonical form');
    t.deepEqual(reachedSince(before), []);
  });
}

test.serial('a request koa serves is routed and forwarded by the canonical form of its path', async (t) => {
  const { accessToken } = await session();
  const before = probe.requests.length;
  const answer = await raw('GET', '/api//users//me/', {
    authorization: `Bearer ${accessToken}`,
    origin: 'https://cf.example',
  });
  t.is(answer.status, 200);
  t.deepEqual(reachedSince(before), ['GET /users/me']);
});

test.serial('x-auth-* and x-identity-* client headers never reach a service', async (t) => {
  const { accessToken } = await session();
  await call(gw.url, 'GET', '/api/telegram/accounts', {
    token: accessToken,
    headers: { 'x-auth-user': 'admin', 'x-auth-request-email': 'a@b.c', 'x-identity-sub': 'root', 'x-identity': '1' },
  });
  const seen = probe.requests.at(-1)!.headers;
  t.deepEqual(
    Object.keys(seen).filter((name) => name.startsWith('x-auth') || name.startsWith('x-identity')),
    [],
  );
});

test.serial('a cookie-authenticated POST with Origin: null is refused as cross-site', async (t) => {
  const { refreshToken } = await session();
  const before = probe.requests.length;
  const answer = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: refreshToken,
    headers: { origin: 'null' },
  });
  t.is(answer.status, 403);
  t.deepEqual(reachedSince(before), []);
});

test.serial('Origin: null is refused even when an allowed origin is opaque and so also reads as null', async (t) => {
  const { refreshToken } = await session();
  // A native app's scheme: its URL origin is opaque, serialised as "null".
  const server = await gatewayWith(t, { CORS_ORIGINS: 'app://cf.example' });
  const before = probe.requests.length;
  const answer = await call(server.url, 'POST', '/api/auth/refresh', {
    cookie: refreshToken,
    headers: { origin: 'null' },
  });
  t.is(answer.status, 403);
  t.deepEqual(reachedSince(before), []);
});

for (const method of ['GET', 'HEAD', 'OPTIONS']) {
  test.serial(
    `a cookie-carrying ${method} from a foreign origin is forwarded: reads are never refused as cross-site`,
    async (t) => {
      const { refreshToken } = await session();
      const before = probe.requests.length;
      const answer = await raw(method, '/api/auth/sessions', {
        cookie: `cf_refresh=${refreshToken}`,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      });
      t.is(answer.status, 200);
      t.deepEqual(reachedSince(before), [`${method} /auth/sessions`]);
    },
  );
}

test.serial('a POST without the refresh cookie is forwarded whatever its origin', async (t) => {
  const before = probe.requests.length;
  const answer = await raw('POST', '/api/auth/login', {
    origin: 'https://evil.example',
    'sec-fetch-site': 'cross-site',
  });
  t.is(answer.status, 200);
  t.deepEqual(reachedSince(before), ['POST /auth/login']);
});

test.serial(
  'a cookie-authenticated POST with neither Origin nor Sec-Fetch-Site is forwarded: not a browser',
  async (t) => {
    const { refreshToken } = await session();
    const before = probe.requests.length;
    const answer = await raw('POST', '/api/auth/refresh', { cookie: `cf_refresh=${refreshToken}` });
    t.is(answer.status, 200);
    t.deepEqual(reachedSince(before), ['POST /auth/refresh']);
  },
);

test.serial('a cookie-authenticated POST marked Sec-Fetch-Site: none is forwarded: the user made it', async (t) => {
  const { refreshToken } = await session();
  const before = probe.requests.length;
  const answer = await raw('POST', '/api/auth/refresh', {
    cookie: `cf_refresh=${refreshToken}`,
    'sec-fetch-site': 'none',
  });
  t.is(answer.status, 200);
  t.deepEqual(reachedSince(before), ['POST /auth/refresh']);
});

for (const [kind, body] of [
  ['deep nesting', `{"phone":${'['.repeat(5000)}${']'.repeat(5000)}}`],
  ['a huge array', `{"phone":[${Array.from({ length: 5000 }, () => '0').join(',')}]}`],
  ['very many keys', `{${Array.from({ length: 2000 }, (_, i) => `"k${i}":1`).join(',')}}`],
] as const) {
  test.serial(`valid JSON with ${kind} is a 400 at the gateway and is not forwarded`, async (t) => {
    const { accessToken } = await session();
    const before = probe.requests.length;
    const answer = await raw(
      'POST',
      '/api/telegram/logins/phone',
      { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body,
    );
    t.is(answer.status, 400);
    t.is(answer.type, 'application/problem+json');
    t.deepEqual(reachedSince(before), []);
  });
}

test.serial('a forwarded body is exactly the bytes the client sent', async (t) => {
  const { accessToken } = await session();
  const body = '{ "phone" : "+15550001111",\n  "n": 1.50, "e": "\\u00e9" }';
  await raw(
    'POST',
    '/api/telegram/logins/phone',
    { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body,
  );
  t.is(probe.requests.at(-1)!.body, body);
});

test.serial('a 64 KiB header at the gateway is a 431 problem', async (t) => {
  const answer = await raw('GET', '/api/openapi.json', { 'x-big': 'a'.repeat(64 * 1024) });
  t.is(answer.status, 431);
  t.is(answer.type, 'application/problem+json');
});

test.serial('a replica that cannot load the revocation list refuses authenticated requests with 503', async (t) => {
  const { accessToken } = await session();
  const server = await gatewayWith(t, {
    REVOCATIONS_URL: `http://127.0.0.1:${await freePort()}/internal/session-revocations`,
  });
  const before = probe.requests.length;
  const answer = await call(server.url, 'GET', '/api/telegram/accounts', { token: accessToken });
  t.is(answer.status, 503);
  t.is(answer.headers.get('content-type'), 'application/problem+json');
  t.regex(answer.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
  t.deepEqual(reachedSince(before), [], 'nothing is forwarded on a guess');
  t.is((await fetch(`${server.url}/readyz`)).status, 503);
});
