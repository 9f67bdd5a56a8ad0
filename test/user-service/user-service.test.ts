import test from 'ava';
import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import jwt from 'jsonwebtoken';
import { createLogger, HttpProblem } from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';
import { RateLimits } from '../../services/user-service/src/rate-limits.ts';
import {
  addresses,
  call,
  registerAccount,
  signedAccessToken,
  userServiceFixtureForFile,
  wrongLogins,
} from './fixture.ts';

const f = userServiceFixtureForFile({ LOGIN_LIMIT_PER_EMAIL_IP: '5', REGISTER_LIMIT_PER_IP: '50' });
/** Every password and token the suite used; none may appear in the service's logs. */
const secrets = new Set<string>();
const freshIp = addresses('10.1');

/** A fresh account registered from a fresh address, its password and tokens remembered for the leak scan. */
async function register(overrides: Record<string, unknown> = {}) {
  const password = `pw-${randomUUID()}`;
  secrets.add(password);
  const account = await registerAccount(
    f.url,
    freshIp(),
    `user-${randomUUID().slice(0, 8)}@example.org`,
    password,
    overrides,
  );
  secrets.add(account.accessToken);
  secrets.add(account.refreshToken);
  return account;
}

async function login(email: string, password: string, ip = freshIp()) {
  const response = await call(f.url, 'POST', '/auth/login', { body: { email, password }, ip });
  if (typeof response.body['access_token'] === 'string') secrets.add(response.body['access_token']);
  if (response.refreshCookie !== undefined) secrets.add(response.refreshCookie);
  return response;
}

async function makeAdmin() {
  const account = await register();
  await f.postgres.query(`SELECT 1`);
  await f.service.store.updateAdminFields(account.userId, { role: 'admin' });
  const response = await login(account.email, account.password);
  return { ...account, accessToken: response.body['access_token'] as string };
}

/** PATCH /admin/users/{userId} with `changes` (role, disabled), as the holder of `token`; the answer as is. */
function patchUser(token: string, userId: string, changes: Record<string, unknown>) {
  return call(f.url, 'PATCH', `/admin/users/${userId}`, { token, body: changes });
}

function forge(claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return signedAccessToken(f.service, claims, options);
}

function validClaims(account: { accessToken: string }): Record<string, unknown> {
  return jwt.decode(account.accessToken) as Record<string, unknown>;
}

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

// --- login ---------------------------------------------------------------------------------------

test.serial('login answers one token object and sets the refresh cookie', async (t) => {
  const account = await register();
  const response = await login(account.email, account.password);
  t.is(response.status, 200);
  t.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'token_type']);
  t.is(response.body['token_type'], 'Bearer');
  t.regex(response.refreshCookie ?? '', /^[A-Za-z0-9_-]{40,}$/);
  t.is(response.headers.get('cache-control'), 'no-store');
});

test.serial('non-browser clients can ask for the refresh token in the body', async (t) => {
  const account = await register();
  const response = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password, includeRefreshToken: true },
    ip: freshIp(),
  });
  secrets.add(response.body['refresh_token'] as string);
  secrets.add(response.body['access_token'] as string);
  t.is(typeof response.body['refresh_token'], 'string');
  const refreshed = await call(f.url, 'POST', '/auth/refresh', {
    body: { refresh_token: response.body['refresh_token'] },
    ip: freshIp(),
  });
  t.is(refreshed.status, 200);
  secrets.add(refreshed.body['refresh_token'] as string);
  secrets.add(refreshed.body['access_token'] as string);
});

test.serial('unknown user and wrong password are indistinguishable', async (t) => {
  const account = await register();
  const times = { unknown: [] as number[], wrong: [] as number[] };
  let unknownBody = '';
  let wrongBody = '';
  // Eight interleaved rounds (a median of four swung to 0.41 on a loaded machine), each from a fresh address so the
  // per-address login limit never answers instead.
  for (let round = 0; round < 8; round += 1) {
    const ip = freshIp();
    let started = performance.now();
    const unknown = await call(f.url, 'POST', '/auth/login', {
      body: { email: `nobody-${round}@example.org`, password: 'whatever-it-is' },
      ip,
    });
    times.unknown.push(performance.now() - started);
    started = performance.now();
    const wrong = await call(f.url, 'POST', '/auth/login', {
      body: { email: account.email, password: `wrong-${round}-password` },
      ip: `${ip}9`,
    });
    times.wrong.push(performance.now() - started);
    t.is(unknown.status, 401);
    t.is(wrong.status, 401);
    unknownBody = JSON.stringify(unknown.body);
    wrongBody = JSON.stringify(wrong.body);
  }
  t.is(unknownBody, wrongBody);
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratio = median(times.unknown) / median(times.wrong);
  t.true(ratio > 0.5 && ratio < 2, `unknown/wrong timing ratio ${ratio.toFixed(2)}`);
});

test.serial('a disabled user cannot log in', async (t) => {
  const account = await register();
  await f.service.store.updateAdminFields(account.userId, { disabled: true });
  const response = await login(account.email, account.password);
  t.is(response.status, 401);
  t.is(response.body['detail'], 'email or password is incorrect');
});

test.serial('too many logins from one address for one email get 429 with Retry-After', async (t) => {
  const account = await register();
  const ip = freshIp();
  t.deepEqual(await wrongLogins(f.url, account.email, ip, 6), [401, 401, 401, 401, 401, 429]);
  const limited = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password },
    ip,
  });
  t.is(limited.status, 429);
  t.true(Number(limited.headers.get('retry-after')) > 0);
});

test.serial('registrations from one address are limited with 429 and Retry-After, in PostgreSQL', async (t) => {
  const limits = new RateLimits(
    f.service.store.sequelize,
    { loginPerEmailIp: 5, loginPerIp: 5, registerPerIp: 2, windowSeconds: 60 },
    createLogger({ name: 'limits-test', stream: captureLogs().stream }),
  );
  const ip = freshIp();
  await limits.registerAttempt(ip);
  await limits.registerAttempt(ip);
  const refused = await t.throwsAsync(limits.registerAttempt(ip), { instanceOf: HttpProblem });
  t.is(refused?.status, 429);
  t.true(Number(refused?.headers['Retry-After']) >= 1);
  const [row] = (
    await f.service.store.sequelize.query(`SELECT points FROM rate_limits WHERE key = 'register-ip:${ip}'`)
  )[0] as { points: number }[];
  t.is(row?.points, 3, 'the counter lives in the shared database, so every replica sees it');
});

test.serial('a password hashed with older parameters is rehashed at OWASP strength on the next login', async (t) => {
  const account = await register();
  const weak = await argon2.hash(account.password, {
    type: argon2.argon2id,
    memoryCost: 4096,
    timeCost: 1,
    parallelism: 1,
  });
  await f.service.store.setPasswordHash(account.userId, weak);
  t.is((await login(account.email, account.password)).status, 200);
  const stored = (await f.service.store.userById(account.userId))?.password_hash ?? '';
  t.regex(stored, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  t.is((await login(account.email, account.password)).status, 200);
});

test.serial('an attacker elsewhere cannot lock the victim out', async (t) => {
  const account = await register();
  const attacker = freshIp();
  for (let attempt = 0; attempt < 7; attempt += 1) {
    await call(f.url, 'POST', '/auth/login', {
      body: { email: account.email, password: 'guess-guess-guess' },
      ip: attacker,
    });
  }
  t.is((await login(account.email, account.password, freshIp())).status, 200);
});

// --- refresh -------------------------------------------------------------------------------------

test.serial('refresh rotates the token on every use', async (t) => {
  const account = await register();
  const first = await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  t.is(first.status, 200);
  t.regex(first.refreshCookie ?? '', /^[A-Za-z0-9_-]{40,}$/);
  t.not(first.refreshCookie, account.refreshToken);
  secrets.add(first.refreshCookie ?? '');
  secrets.add(first.body['access_token'] as string);
  const second = await call(f.url, 'POST', '/auth/refresh', { cookie: first.refreshCookie! });
  t.is(second.status, 200);
  secrets.add(second.refreshCookie ?? '');
  secrets.add(second.body['access_token'] as string);
});

test.serial('reuse of a rotated refresh token revokes the whole family', async (t) => {
  const account = await register();
  const rotated = await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  secrets.add(rotated.refreshCookie ?? '');
  const newAccess = rotated.body['access_token'] as string;
  secrets.add(newAccess);
  await new Promise((resolve) => setTimeout(resolve, 2300)); // past the 2 s grace window
  const replay = await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  t.is(replay.status, 401);
  t.regex(String(replay.body['detail']), /already used/);
  t.is(
    (await call(f.url, 'POST', '/auth/refresh', { cookie: rotated.refreshCookie! })).status,
    401,
    'the successor dies too',
  );
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: newAccess })).status,
    401,
    'and the access tokens of the family',
  );
  t.true(f.logs.some((line) => line.includes('"event":"refresh.reuse-detected"')));
});

test.serial('concurrent refreshes inside the grace window all get the same successor', async (t) => {
  const account = await register();
  const results = await Promise.all(
    [1, 2, 3].map(() => call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })),
  );
  for (const result of results) {
    secrets.add(result.refreshCookie ?? '');
    secrets.add(String(result.body['access_token']));
  }
  t.deepEqual(
    results.map((r) => r.status),
    [200, 200, 200],
  );
  const successors = new Set(results.map((r) => r.refreshCookie));
  t.is(successors.size, 1, 'a replay inside the window cannot start a chain of its own');
  for (const successor of successors) {
    const next = await call(f.url, 'POST', '/auth/refresh', { cookie: successor! });
    secrets.add(next.refreshCookie ?? '');
    t.is(next.status, 200);
  }
});

test.serial('refresh without a token is 401', async (t) => {
  t.is((await call(f.url, 'POST', '/auth/refresh')).status, 401);
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: 'not-a-token' })).status, 401);
});

// --- logout and sessions -------------------------------------------------------------------------

test.serial('logout kills the refresh token and the access token at once', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 200);
  const out = await call(f.url, 'POST', '/auth/logout', { token: account.accessToken, cookie: account.refreshToken });
  t.is(out.status, 204);
  t.regex(out.setCookie ?? '', /cf_refresh=;/);
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })).status, 401);
});

test.serial('the session check answers 200 while the session lives and 401 after logout', async (t) => {
  const account = await register();
  const live = await call(f.url, 'GET', '/auth/session', { token: account.accessToken });
  t.is(live.status, 200);
  t.is(live.body['userId'], account.userId);
  await call(f.url, 'POST', '/auth/logout', { token: account.accessToken });
  t.is((await call(f.url, 'GET', '/auth/session', { token: account.accessToken })).status, 401);
});

test.serial('logout with only the refresh cookie ends that session', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'POST', '/auth/logout', { cookie: account.refreshToken })).status, 204);
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
});

test.serial('logout of a session that is already gone is still 204', async (t) => {
  const account = await register();
  await call(f.url, 'POST', '/auth/logout', { token: account.accessToken });
  t.is((await call(f.url, 'POST', '/auth/logout', { token: account.accessToken })).status, 204);
  t.is((await call(f.url, 'POST', '/auth/logout')).status, 204);
});

test.serial('logout-all ends every session of the caller only', async (t) => {
  const account = await register();
  const other = await register();
  const second = await login(account.email, account.password);
  t.is((await call(f.url, 'POST', '/auth/logout-all', { token: account.accessToken })).status, 204);
  t.is((await call(f.url, 'GET', '/users/me', { token: second.body['access_token'] as string })).status, 401);
  t.is((await call(f.url, 'GET', '/users/me', { token: other.accessToken })).status, 200);
});

test.serial('the sessions list shows the caller’s sessions and marks the current one', async (t) => {
  const account = await register();
  await login(account.email, account.password);
  const list = await call(f.url, 'GET', '/auth/sessions', { token: account.accessToken });
  const sessions = list.body['sessions'] as { id: string; current: boolean }[];
  t.is(sessions.length, 2);
  t.is(sessions.filter((s) => s.current).length, 1);
});

test.serial('deleting one of your sessions ends it', async (t) => {
  const account = await register();
  const second = await login(account.email, account.password);
  const secondSid = (jwt.decode(second.body['access_token'] as string) as { sid: string }).sid;
  t.is((await call(f.url, 'DELETE', `/auth/sessions/${secondSid}`, { token: account.accessToken })).status, 204);
  t.is((await call(f.url, 'GET', '/users/me', { token: second.body['access_token'] as string })).status, 401);
});

test.serial('another user’s session id is a 404', async (t) => {
  const victim = await register();
  const attacker = await register();
  const victimSid = (jwt.decode(victim.accessToken) as { sid: string }).sid;
  t.is((await call(f.url, 'DELETE', `/auth/sessions/${victimSid}`, { token: attacker.accessToken })).status, 404);
  t.is((await call(f.url, 'DELETE', '/auth/sessions/not-a-uuid', { token: attacker.accessToken })).status, 404);
  t.is((await call(f.url, 'GET', '/users/me', { token: victim.accessToken })).status, 200);
});

// --- the account ---------------------------------------------------------------------------------

test.serial('PATCH /users/me changes the display name and nothing else', async (t) => {
  const account = await register();
  const response = await call(f.url, 'PATCH', '/users/me', {
    token: account.accessToken,
    body: { displayName: 'Grace', role: 'admin', id: randomUUID(), email: 'evil@example.org' },
  });
  t.is(response.status, 200);
  t.like(response.body, { displayName: 'Grace', role: 'user', id: account.userId, email: account.email });
});

test.serial('a password change needs the current password', async (t) => {
  const account = await register();
  const response = await call(f.url, 'POST', '/users/me/password', {
    token: account.accessToken,
    body: { currentPassword: 'not-the-password', newPassword: `new-${randomUUID()}` },
  });
  t.is(response.status, 400);
  t.is((response.body['errors'] as { field: string }[])[0]?.field, 'currentPassword');
});

test.serial('a password change ends the other sessions and keeps this one', async (t) => {
  const account = await register();
  const other = await login(account.email, account.password);
  const newPassword = `changed-${randomUUID()}`;
  secrets.add(newPassword);
  const response = await call(f.url, 'POST', '/users/me/password', {
    token: account.accessToken,
    body: { currentPassword: account.password, newPassword },
  });
  t.is(response.status, 204);
  t.is((await call(f.url, 'GET', '/users/me', { token: other.body['access_token'] as string })).status, 401);
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 200);
  t.is((await login(account.email, account.password)).status, 401);
  t.is((await login(account.email, newPassword)).status, 200);
});

// --- admin ---------------------------------------------------------------------------------------

test.serial('admin routes reject a user token', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'GET', '/admin/users', { token: account.accessToken })).status, 403);
  t.is((await patchUser(account.accessToken, account.userId, { role: 'admin' })).status, 403);
});

test.serial('admins page through users with the page size capped', async (t) => {
  const admin = await makeAdmin();
  const response = await call(f.url, 'GET', '/admin/users?page=1&pageSize=1000', { token: admin.accessToken });
  t.is(response.status, 200);
  t.is(response.body['pageSize'], 100);
  t.true((response.body['total'] as number) >= 1);
  const bad = await call(f.url, 'GET', '/admin/users?page=0', { token: admin.accessToken });
  t.is(bad.status, 400);
});

test.serial('disabling a user stops their live tokens at once', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  const response = await patchUser(admin.accessToken, account.userId, { disabled: true });
  t.is(response.status, 200);
  t.is(response.body['disabled'], true);
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })).status, 401);
  t.true(f.logs.some((line) => line.includes('"event":"admin.user-updated"')));
});

test.serial('an admin can promote a user, who then passes admin checks after logging in again', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  t.is((await patchUser(admin.accessToken, account.userId, { role: 'admin' })).status, 200);
  const again = await login(account.email, account.password);
  t.is((await call(f.url, 'GET', '/admin/users', { token: again.body['access_token'] as string })).status, 200);
});

test.serial('an admin cannot disable themselves', async (t) => {
  const admin = await makeAdmin();
  const response = await patchUser(admin.accessToken, admin.userId, { disabled: true });
  t.is(response.status, 409);
});

test.serial('patching an unknown user is a 404', async (t) => {
  const admin = await makeAdmin();
  t.is((await patchUser(admin.accessToken, randomUUID(), { role: 'user' })).status, 404);
});

// --- rejected tokens -----------------------------------------------------------------------------

test.serial('tokens with alg none are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  const unsigned = jwt.sign(claims, '', {
    algorithm: 'none' as jwt.Algorithm,
    header: { alg: 'none', kid: f.service.keys.current().kid, typ: 'at+jwt' },
  } as jwt.SignOptions);
  t.is((await call(f.url, 'GET', '/users/me', { token: unsigned })).status, 401);
});

test.serial('HS256 tokens signed with the public key are rejected', async (t) => {
  const account = await register();
  const publicPem = f.service.keys.current().publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const header = Buffer.from(
    JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: f.service.keys.current().kid }),
  ).toString('base64url');
  const payload = Buffer.from(JSON.stringify(validClaims(account))).toString('base64url');
  const { createHmac } = await import('node:crypto');
  const signature = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
  t.is((await call(f.url, 'GET', '/users/me', { token: `${header}.${payload}.${signature}` })).status, 401);
});

test.serial('a token of another type (typ JWT instead of at+jwt) is rejected', async (t) => {
  const account = await register();
  const key = f.service.keys.current();
  const token = jwt.sign(validClaims(account), key.privateKey, { algorithm: 'ES256', keyid: key.kid });
  t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
});

test.serial('tokens with a wrong issuer or audience are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, iss: 'https://evil.example' }) })).status,
    401,
  );
  t.is((await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, aud: 'someone-else' }) })).status, 401);
});

test.serial('expired tokens are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  const now = Math.floor(Date.now() / 1000);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, iat: now - 2000, exp: now - 1000 }) })).status,
    401,
  );
});

test.serial('tokens not valid yet are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, nbf: Math.floor(Date.now() / 1000) + 3600 }) }))
      .status,
    401,
  );
});

test.serial('tokens without exp are rejected', async (t) => {
  const account = await register();
  const { exp: _exp, ...claims } = validClaims(account);
  const token = forge(claims);
  t.false('exp' in (jwt.decode(token) as object));
  t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
});

test.serial('tokens with an unknown kid are rejected', async (t) => {
  const account = await register();
  const key = f.service.keys.current();
  const token = jwt.sign(validClaims(account), key.privateKey, {
    algorithm: 'ES256',
    header: { alg: 'ES256', kid: 'no-such-key', typ: 'at+jwt' },
  });
  t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
});

test.serial('tampered payloads are rejected', async (t) => {
  const account = await register();
  const [header, , signature] = account.accessToken.split('.');
  const payload = Buffer.from(JSON.stringify({ ...validClaims(account), role: 'admin' })).toString('base64url');
  t.is((await call(f.url, 'GET', '/admin/users', { token: `${header}.${payload}.${signature}` })).status, 401);
});

test.serial('a refresh token used as an access token is rejected', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'GET', '/users/me', { token: account.refreshToken })).status, 401);
});

test.serial('a token of a disabled user is rejected', async (t) => {
  const account = await register();
  await f.service.store.updateAdminFields(account.userId, { disabled: true });
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
});

test.serial('access tokens carry the documented claims and header', async (t) => {
  const account = await register();
  const decoded = jwt.decode(account.accessToken, { complete: true })!;
  t.is(decoded.header.alg, 'ES256');
  t.is(decoded.header.kid, f.service.keys.current().kid);
  t.is(decoded.header.typ, 'at+jwt', 'RFC 9068 access-token type');
  const claims = decoded.payload as Record<string, unknown>;
  t.deepEqual(Object.keys(claims).sort(), ['aud', 'email_verified', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
  t.is(claims['email_verified'], false, 'a new account is unverified');
  t.is((claims['exp'] as number) - (claims['iat'] as number), 900);
});

// --- keys ----------------------------------------------------------------------------------------

test.serial('the signing key was generated and stored in Vault KV on first start', async (t) => {
  const response = await fetch(`${f.vault.address}/v1/secret/data/user-service/signing-keys`, {
    headers: { 'x-vault-token': f.vault.rootToken ?? '' },
  });
  const stored = (await response.json()) as { data: { data: { keys: { kid: string }[] } } };
  t.is(stored.data.data.keys[0]?.kid, f.service.keys.current().kid);
});

test.serial('a rotated key signs once its publication time has passed, and old tokens still work', async (t) => {
  const account = await register();
  const oldKid = f.service.keys.current().kid;
  const next = await f.service.keys.rotate(1);
  const jwks = (await (await fetch(`${f.url}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string; kty: string; d?: string }[];
  };
  t.deepEqual(jwks.keys.map((k) => k.kid).slice(0, 2), [next.kid, oldKid]);
  t.true(
    jwks.keys.every((key) => key.kty === 'EC' && key.d === undefined),
    'public keys only',
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, next.notBefore - Date.now()) + 50));
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 200);
  const fresh = await login(account.email, account.password);
  t.is(jwt.decode(fresh.body['access_token'] as string, { complete: true })?.header.kid, next.kid);
});

test.serial('a new signing key is in the JWKS for longer than the JWKS may be cached before it signs', async (t) => {
  const account = await register();
  const signing = f.service.keys.current().kid;
  const response = await fetch(`${f.url}/.well-known/jwks.json`);
  const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
  const next = await f.service.keys.rotate();
  const published = (await (await fetch(`${f.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  t.true(
    published.keys.some((key) => key.kid === next.kid),
    'published at once',
  );
  t.true(next.notBefore - Date.now() >= maxAge * 1000, `signs only after the ${maxAge} s a client may cache the JWKS`);
  const fresh = await login(account.email, account.password);
  t.is(
    jwt.decode(fresh.body['access_token'] as string, { complete: true })?.header.kid,
    signing,
    'the old key still signs',
  );
  await t.throwsAsync(f.service.keys.rotate(), { message: /already pending/ }, 'no second rotation while one waits');
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

test.serial('the captured log of the whole suite contains none of the passwords or tokens used', (t) => {
  const text = f.logs.join('\n');
  t.true(f.logs.length > 100);
  const leaked = [...secrets].filter((secret) => secret.length >= 8 && text.includes(secret));
  t.deepEqual(leaked, []);
});
