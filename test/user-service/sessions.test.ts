import test from 'ava';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { addresses, call, registerAccount, userServiceFixtureForFile, wrongLogins } from './fixture.ts';

// Session, refresh and login-limit promises, each proven so that removing the code that keeps it fails a test.
const f = userServiceFixtureForFile({
  LOGIN_LIMIT_PER_EMAIL_IP: '3',
  LOGIN_LIMIT_PER_IP: '6',
  REGISTER_LIMIT_PER_IP: '1000',
});
const freshIp = addresses('10.2');

/** A fresh account (its email unique unless given), registered from a fresh address. */
function register(email = `s-${randomUUID().slice(0, 8)}@example.org`) {
  return registerAccount(f.url, freshIp(), email, `sessions-${randomUUID()}`);
}

const sql = (query: string, bind: unknown[]) => f.service.store.sequelize.query(query, { bind });

test.serial('a junk refresh token in the body leaves the browser’s valid cookie alone', async (t) => {
  const account = await register();
  const junk = await call(f.url, 'POST', '/auth/refresh', {
    cookie: account.refreshToken,
    body: { refresh_token: 'junk' },
  });
  t.is(junk.status, 401);
  t.is(junk.setCookie, null, 'no Set-Cookie clears the cookie');
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })).status, 200);
});

test.serial('a rejected refresh cookie is cleared', async (t) => {
  const rejected = await call(f.url, 'POST', '/auth/refresh', { cookie: 'not-a-token' });
  t.is(rejected.status, 401);
  t.regex(rejected.setCookie ?? '', /cf_refresh=;/);
});

test.serial('an expired refresh token is refused', async (t) => {
  const account = await register();
  await sql(
    `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
     WHERE session_id = (SELECT id FROM sessions WHERE user_id = $1)`,
    [account.userId],
  );
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })).status, 401);
});

test.serial('an expired session’s access token is refused', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 200);
  await sql(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [account.userId]);
  t.false(await f.service.store.sessionActive(sidOf(account.accessToken), account.userId));
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
});

function sidOf(token: string): string {
  return (jwt.decode(token) as { sid: string }).sid;
}

test.serial('a logout with a token signed by another key ends nothing', async (t) => {
  const victim = await register();
  const claims = jwt.decode(victim.accessToken) as Record<string, unknown>;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const forged = jwt.sign(claims, privateKey, {
    algorithm: 'ES256',
    header: { alg: 'ES256', kid: f.service.keys.current().kid, typ: 'at+jwt' },
  });
  t.is((await call(f.url, 'POST', '/auth/logout', { token: forged })).status, 204);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: victim.accessToken })).status,
    200,
    'the victim’s session lives',
  );
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: victim.refreshToken })).status, 200);
});

test.serial('the per-email-and-address login limit holds on its own', async (t) => {
  const account = await register();
  const ip = freshIp();
  // 3 per (email, address) while the per-address limit (6) is not reached.
  t.deepEqual(await wrongLogins(f.url, account.email, ip, 4), [401, 401, 401, 429]);
});

test.serial('a refused login says why and when to try again, within the limit’s window', async (t) => {
  const account = await register();
  const ip = freshIp();
  await wrongLogins(f.url, account.email, ip, 3);
  const refused = await call(f.url, 'POST', '/auth/login', { body: { email: account.email, password: 'wrong' }, ip });
  t.is(refused.status, 429);
  t.is(refused.body['detail'], 'too many attempts; try again later');
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter} s lies within the 15-minute window`);
});

test.serial('a successful login clears the failed attempts of that email from that address', async (t) => {
  const account = await register();
  const ip = freshIp();
  t.deepEqual(await wrongLogins(f.url, account.email, ip, 2), [401, 401]);
  const right = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password },
    ip,
  });
  t.is(right.status, 200);
  // Three more wrong ones are again within the 3 per (email, address); the address has made 6 attempts, its limit.
  t.deepEqual(await wrongLogins(f.url, account.email, ip, 3), [401, 401, 401]);
});

test.serial('the per-address login limit holds on its own', async (t) => {
  const ip = freshIp();
  const statuses: number[] = [];
  for (let i = 0; i < 7; i += 1) {
    const email = `nobody-${randomUUID().slice(0, 8)}@example.org`;
    statuses.push((await call(f.url, 'POST', '/auth/login', { body: { email, password: 'whatever-pw' }, ip })).status);
  }
  // Every email is new, so only the per-address limit (6) can refuse the seventh.
  t.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429]);
});

test.serial('a valid 238-character email registers and logs in', async (t) => {
  const local = 'a'.repeat(64);
  const email = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(41)}.org`;
  t.is(email.length, 238);
  const account = await register(email);
  const login = await call(f.url, 'POST', '/auth/login', {
    body: { email, password: account.password },
    ip: freshIp(),
  });
  t.is(login.status, 200);
});

test.serial('an unexpected limiter failure is a 503 and an error-level log', async (t) => {
  const account = await register();
  await sql('ALTER TABLE rate_limits RENAME TO rate_limits_away', []);
  try {
    const before = f.logs.length;
    const login = await call(f.url, 'POST', '/auth/login', {
      body: { email: account.email, password: account.password },
      ip: freshIp(),
    });
    t.is(login.status, 503);
    t.is(login.body['detail'], 'rate limiting is unavailable; try again shortly');
    const errors = f.logs
      .slice(before)
      .map((line) => JSON.parse(line) as { level: number; msg: string; limiter?: string; err?: unknown })
      .filter((record) => record.level >= 50 && record.msg === 'rate limiter failed');
    t.true(errors.length > 0);
    t.true(
      errors.every((record) => /^login-/.test(record.limiter ?? '') && record.err !== undefined),
      'each names its limiter and the error',
    );
  } finally {
    await sql('ALTER TABLE rate_limits_away RENAME TO rate_limits', []);
  }
});

test.serial('logins, registrations, refreshes and revocations are counted by outcome and reason', async (t) => {
  const account = await register();
  await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: 'wrong-password' },
    ip: freshIp(),
  });
  await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  await call(f.url, 'POST', '/auth/logout-all', { token: account.accessToken });
  const metrics = await (await fetch(`${f.url}/metrics`)).text();
  const value = (series: string): number => Number(new RegExp(`^${series} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
  t.true(value('user_registrations_total\\{outcome="success"[^}]*\\}') > 0);
  t.true(value('user_logins_total\\{outcome="failure"[^}]*\\}') > 0);
  t.true(value('user_token_refreshes_total\\{outcome="success"[^}]*\\}') > 0);
  t.true(value('user_sessions_revoked_total\\{reason="logout-all"[^}]*\\}') > 0);
});

test.serial('the JWKS carries an ETag and answers 304 when it has not changed', async (t) => {
  const first = await fetch(`${f.url}/.well-known/jwks.json`);
  const etag = first.headers.get('etag') ?? '';
  t.regex(etag, /^"[\w-]{43}"$/);
  t.is(first.headers.get('cache-control'), 'public, max-age=300');
  t.true(Array.isArray(((await first.json()) as { keys: unknown[] }).keys));
  const again = await fetch(`${f.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } });
  t.is(again.status, 304);
});

test.serial('the email length limit is the same in the validator, the database and the document', async (t) => {
  const document = (await (await fetch(`${f.url}/openapi.json`)).json()) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
  };
  const schema = document.paths['/auth/register']!.post.requestBody.content['application/json']!.schema as {
    properties: { email: { maxLength: number }; displayName: { maxLength: number } };
  };
  t.is(schema.properties.email.maxLength, 254);
  t.is(schema.properties.displayName.maxLength, 80);
  const tooLong = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.org`;
  t.is(tooLong.length, 255);
  const refused = await call(f.url, 'POST', '/auth/register', {
    body: { email: tooLong, password: `pw-${randomUUID()}` },
    ip: freshIp(),
  });
  t.is(refused.status, 400);
  const error = await t.throwsAsync(
    sql(`INSERT INTO users (id, email, email_normalized, password_hash) VALUES (gen_random_uuid(), $1, $1, 'x')`, [
      tooLong,
    ]),
  );
  t.regex(String(error?.message), /users_email_length|check constraint/);
});
