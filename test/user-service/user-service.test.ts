import test from 'ava';
import { randomUUID } from 'node:crypto';
import { call } from './fixture.ts';
import { userServiceSuite } from './suite.ts';

const { f, secrets, freshIp, register, login, testLogHoldsNoSecrets } = userServiceSuite();

// --- registration --------------------------------------------------------------------------------

test.serial('register creates the account and logs in at once', async (t) => {
  const email = `Ada.${randomUUID().slice(0, 6)}@Example.org`;
  const password = `register-${randomUUID()}`;
  secrets.add(password);
  const response = await call(f.url, 'POST', '/auth/register', {
    body: { email, password, displayName: 'Ada' },
    ip: freshIp(),
  });
  t.is(response.status, 201);
  t.like(response.body['user'], { email, displayName: 'Ada', role: 'user' });
  t.like(response.body['session'], { token_type: 'Bearer', expires_in: 900 });
  secrets.add((response.body['session'] as { access_token: string }).access_token);
  const me = await call(f.url, 'GET', '/users/me', {
    token: (response.body['session'] as { access_token: string }).access_token,
  });
  t.is(me.status, 200);
  t.is(me.body['email'], email);
});

test.serial('the refresh cookie is HttpOnly, Secure, SameSite=Strict and on a narrow path', async (t) => {
  const response = await call(f.url, 'POST', '/auth/register', {
    body: { email: `c-${randomUUID().slice(0, 8)}@example.org`, password: `cookie-${randomUUID()}` },
    ip: freshIp(),
  });
  secrets.add(response.refreshCookie ?? '');
  const cookie = response.setCookie ?? '';
  t.regex(cookie, /cf_refresh=[A-Za-z0-9_-]{40,}/);
  t.regex(cookie, /path=\/api\/auth/);
  t.regex(cookie, /httponly/);
  t.regex(cookie, /secure/);
  t.regex(cookie, /samesite=strict/);
});

test.serial('emails are unique case-insensitively', async (t) => {
  const account = await register();
  const again = await call(f.url, 'POST', '/auth/register', {
    body: { email: `  ${account.email.toUpperCase()} `, password: `other-${randomUUID()}` },
    ip: freshIp(),
  });
  t.is(again.status, 409);
  t.is((await login(account.email.toUpperCase(), account.password)).status, 200);
});

test.serial('passwords shorter than 8 characters are refused', async (t) => {
  const response = await call(f.url, 'POST', '/auth/register', {
    body: { email: 'short@example.org', password: 'abc123!' },
    ip: freshIp(),
  });
  t.is(response.status, 400);
  t.deepEqual(
    (response.body['errors'] as { field: string }[]).map((e) => e.field),
    ['password'],
  );
});

test.serial('common passwords are refused', async (t) => {
  const response = await call(f.url, 'POST', '/auth/register', {
    body: { email: 'common@example.org', password: 'password123' },
    ip: freshIp(),
  });
  t.is(response.status, 400);
  t.regex(JSON.stringify(response.body), /too common/);
});

test.serial('passwords over 128 characters are refused, and 128 is accepted', async (t) => {
  const long = await call(f.url, 'POST', '/auth/register', {
    body: { email: 'long@example.org', password: 'x1'.repeat(64) + 'y' },
    ip: freshIp(),
  });
  t.is(long.status, 400);
  const exact = await call(f.url, 'POST', '/auth/register', {
    body: { email: 'exact@example.org', password: 'z9'.repeat(64) },
    ip: freshIp(),
  });
  t.is(exact.status, 201);
});

test.serial('long passwords are never truncated', async (t) => {
  const password = `${'ä'.repeat(80)}-${randomUUID()}`;
  secrets.add(password);
  const email = `trunc-${randomUUID().slice(0, 6)}@example.org`;
  t.is((await call(f.url, 'POST', '/auth/register', { body: { email, password }, ip: freshIp() })).status, 201);
  t.is((await login(email, password.slice(0, 72))).status, 401);
  t.is((await login(email, password)).status, 200);
});

test.serial('a role or id in the register body is ignored', async (t) => {
  const forcedId = randomUUID();
  const account = await register({ role: 'admin', id: forcedId });
  const me = await call(f.url, 'GET', '/users/me', { token: account.accessToken });
  t.is(me.body['role'], 'user');
  t.not(me.body['id'], forcedId);
  t.is((await call(f.url, 'GET', '/admin/users', { token: account.accessToken })).status, 403);
});

// --- HTTP edges ----------------------------------------------------------------------------------

test.serial('a body over the limit is 413', async (t) => {
  const response = await call(f.url, 'POST', '/auth/login', {
    rawBody: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(70_000) }),
  });
  t.is(response.status, 413);
});

test.serial('malformed JSON is 400', async (t) => {
  const response = await call(f.url, 'POST', '/auth/login', { rawBody: '{"email":' });
  t.is(response.status, 400);
  t.is(response.body['detail'], 'request body is not valid JSON');
});

test.serial('the OpenAPI document describes every operation with the validators’ schemas', async (t) => {
  const doc = (await (await fetch(`${f.url}/openapi.json`)).json()) as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { requestBody?: { content: { 'application/json': { schema: { required?: string[] } } } } }>
    >;
  };
  t.is(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  t.deepEqual(documented, [
    'DELETE /admin/users/{id}/sessions',
    'DELETE /auth/sessions/{id}',
    'GET /admin/users',
    'GET /admin/users/{id}',
    'GET /admin/users/{id}/audit',
    'GET /auth/captcha',
    'GET /auth/session',
    'GET /auth/sessions',
    'GET /auth/two-factor',
    'GET /internal/session-revocations',
    'GET /users/me',
    'PATCH /admin/users/{id}',
    'PATCH /users/me',
    'POST /auth/login',
    'POST /auth/login/passkey-options',
    'POST /auth/login/second-factor',
    'POST /auth/logout',
    'POST /auth/logout-all',
    'POST /auth/passkey/login',
    'POST /auth/passkey/options',
    'POST /auth/refresh',
    'POST /auth/register',
    'POST /auth/two-factor/disable',
    'POST /auth/two-factor/passkey-options',
    'POST /auth/two-factor/passkeys',
    'POST /auth/two-factor/passkeys/registration-options',
    'POST /auth/two-factor/passkeys/remove',
    'POST /auth/two-factor/recovery-codes',
    'POST /auth/two-factor/totp',
    'POST /auth/two-factor/totp/confirm',
    'POST /auth/two-factor/totp/remove',
    'POST /users/me/password',
  ]);
  const register = doc.paths['/auth/register']?.['post']?.requestBody?.content['application/json'].schema;
  t.deepEqual(register?.required?.sort(), ['email', 'password']);
});

// --- audit, restart, leaks -----------------------------------------------------------------------

test.serial('audit records name the event, user, address and request, with reason codes for failures', async (t) => {
  const account = await register();
  await login(account.email, 'definitely-wrong');
  await call(f.url, 'POST', '/auth/logout', { token: account.accessToken });
  const failure = f.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((r) => r['event'] === 'login.failure' && r['userId'] === account.userId);
  t.like(failure, { audit: true, reason: 'wrong-password' });
  t.truthy(failure?.['ip']);
  t.truthy(failure?.['req_id']);
  t.true(f.logs.some((line) => line.includes('"event":"register"')));
  t.true(f.logs.some((line) => line.includes('"event":"logout"')));
});

test.serial('the service restarts against the same database and every account still logs in', async (t) => {
  const accounts = [await register(), await register()];
  await f.restart();
  for (const account of accounts) t.is((await login(account.email, account.password)).status, 200);
});

testLogHoldsNoSecrets();
