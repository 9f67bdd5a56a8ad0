import test from 'ava';
import jwt from 'jsonwebtoken';
import { QueryTypes } from 'sequelize';
import { call } from './fixture.ts';
import { userServiceSuite } from './suite.ts';

const { f, secrets, register, login, testLogHoldsNoSecrets } = userServiceSuite();

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
  const [session] = await f.service.store.sequelize.query<{ revoked_reason: string }>(
    'SELECT revoked_reason FROM sessions WHERE id = $1',
    { bind: [sessionOf(account.accessToken)], type: QueryTypes.SELECT },
  );
  t.is(session?.revoked_reason, 'refresh-token-reuse', 'the session ended for that reason');
});

function sessionOf(token: string): string {
  return (jwt.decode(token) as { sid: string }).sid;
}

/** The audit records of refreshes in `session`: whether each was a replay inside the grace window. */
function refreshGraces(session: string): boolean[] {
  return f.logs
    .map((line) => JSON.parse(line) as { event?: string; sessionId?: string; grace?: boolean })
    .filter((record) => record.event === 'refresh' && record.sessionId === session)
    .map((record) => record.grace === true);
}

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
  t.deepEqual(
    refreshGraces(sessionOf(account.accessToken)).sort(),
    [false, true, true],
    'one rotation, two replays audited as such',
  );
  for (const successor of successors) {
    const next = await call(f.url, 'POST', '/auth/refresh', { cookie: successor! });
    secrets.add(next.refreshCookie ?? '');
    t.is(next.status, 200);
  }
});

test.serial('a replay inside the grace window whose successor cannot be derived again is refused', async (t) => {
  const account = await register();
  const rotated = await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  secrets.add(rotated.refreshCookie ?? '');
  secrets.add(String(rotated.body['access_token']));
  // As after the refresh-token key rotated between the two requests: the stored successor is none of those the
  // current key derives from the replayed token.
  await f.service.store.sequelize.query(
    `UPDATE refresh_tokens SET successor_hash = 'no-such-successor'
     WHERE session_id = $1 AND used_at IS NOT NULL`,
    { bind: [sessionOf(account.accessToken)] },
  );
  const replay = await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  t.is(replay.status, 401);
  t.falsy(replay.refreshCookie, 'no token is handed out');
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

testLogHoldsNoSecrets();
