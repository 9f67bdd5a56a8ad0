import test from 'ava';
import { floodWait } from '../../services/integration-service/src/telegram/port.ts';
import { as, eventually } from './fixture.ts';
import { loginsSuite } from './logins-suite.ts';

const { f, fake, one, account, startPhone, codeOf, connect, decrypt, testLogsHoldNoSecrets } = loginsSuite();

// --- BOLA ---------------------------------------------------------------------------------------------

test.serial("user B cannot read, poll, finish or resend user A's login", async (t) => {
  const a = await f.user();
  const b = await f.user();
  const number = account();
  const { loginId } = await startPhone(a, number);
  t.is((await as(b, one.url, 'GET', `/telegram/logins/${loginId}`)).status, 404);
  t.is((await as(b, one.url, 'POST', `/telegram/logins/${loginId}/resend`)).status, 404);
  t.is((await as(b, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) })).status, 404);
  t.is((await as(b, one.url, 'POST', `/telegram/logins/${loginId}/password`, { password: 'x' })).status, 404);
  const mine = await as(a, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  t.is(mine.body['state'], 'connected');
});

test.serial("user B cannot see or delete user A's accounts", async (t) => {
  const a = await f.user();
  const b = await f.user();
  const { accountId } = await connect(a);
  t.deepEqual((await as(b, one.url, 'GET', '/telegram/accounts')).body['accounts'], []);
  t.is((await as(b, one.url, 'GET', `/telegram/accounts/${accountId}`)).status, 404);
  t.is((await as(b, one.url, 'DELETE', `/telegram/accounts/${accountId}`)).status, 404);
  t.like((await as(a, one.url, 'GET', `/telegram/accounts/${accountId}`)).body, { state: 'connected' });
});

test.serial('requests without a valid access token answer 401', async (t) => {
  const forged = { id: 'x', token: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' };
  t.is((await as(forged, one.url, 'GET', '/telegram/accounts')).status, 401);
  t.is((await fetch(`${one.url}/telegram/logins/qr`, { method: 'POST' })).status, 401);
});

test.serial('a token whose session was logged out at user-service is refused when called directly', async (t) => {
  const user = await f.user();
  t.is((await as(user, one.url, 'GET', '/telegram/accounts')).status, 200);
  const logout = await fetch(`${f.users.url}/auth/logout-all`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}` },
  });
  t.is(logout.status, 204);
  const refused = await as(user, one.url, 'GET', '/telegram/accounts');
  t.is(refused.status, 401);
  t.is(refused.headers.get('content-type'), 'application/problem+json');
});

test.serial(
  'when user-service cannot confirm the session in time the answer is 503 with Retry-After, not 401',
  async (t) => {
    const cut = await f.instance(fake, { USER_SERVICE_URL: 'http://127.0.0.1:9' });
    t.teardown(() => cut.service.close());
    const user = await f.user();
    const response = await as(user, cut.url, 'GET', '/telegram/accounts');
    t.is(response.status, 503);
    t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
  },
);

// --- accounts, log, stats -------------------------------------------------------------------------------

test.serial(
  'deleting an account logs it out at Telegram, destroys the client and deletes the stored session',
  async (t) => {
    const user = await f.user();
    const { accountId } = await connect(user);
    const [row] = await one.service.store.rows<{ session_ciphertext: string }>(
      'SELECT session_ciphertext FROM telegram_accounts WHERE id = $1',
      [accountId],
    );
    const session = await decrypt(row!.session_ciphertext);
    f.secrets.add(session);
    t.is(fake.connectionsOf(session), 1);
    const deleted = await as(user, one.url, 'DELETE', `/telegram/accounts/${accountId}`);
    t.is(deleted.status, 204);
    t.false(fake.isAuthorized(session));
    t.is(fake.connectionsOf(session), 0);
    t.is((await as(user, one.url, 'GET', `/telegram/accounts/${accountId}`)).status, 404);
    t.deepEqual(await one.service.store.rows('SELECT id FROM telegram_accounts WHERE id = $1', [accountId]), []);
  },
);

test.serial(
  'an account whose session was ended from another device is marked revoked by the health check',
  async (t) => {
    const user = await f.user();
    const { accountId, number } = await connect(user);
    fake.revokeSessionsOf(number);
    const revoked = await eventually(async () => {
      const response = await as(user, one.url, 'GET', `/telegram/accounts/${accountId}`);
      return response.body['state'] === 'revoked' && response;
    });
    t.like(revoked.body, { reason: 'SessionRevoked', connectedHere: false });
    t.false(one.service.ownership.holds(`account:${accountId}`));
  },
);

test.serial('deleting a revoked account removes it without calling Telegram', async (t) => {
  const user = await f.user();
  const { accountId, number } = await connect(user);
  fake.revokeSessionsOf(number);
  await eventually(async () => !one.service.ownership.holds(`account:${accountId}`));
  const logOuts = fake.calls.filter((call) => call.op === 'logOut').length;
  t.is((await as(user, one.url, 'DELETE', `/telegram/accounts/${accountId}`)).status, 204);
  t.is((await as(user, one.url, 'GET', `/telegram/accounts/${accountId}`)).status, 404);
  t.is(fake.calls.filter((call) => call.op === 'logOut').length, logOuts);
});

test.serial("the integration log pages through the caller's own operations, newest first", async (t) => {
  const user = await f.user();
  const other = await f.user();
  await connect(user);
  await connect(other);
  const page1 = await as(user, one.url, 'GET', '/telegram/logs?page=1&pageSize=1');
  t.is(page1.status, 200);
  t.is(page1.body['total'], 2);
  t.like((page1.body['entries'] as unknown[])[0], { operation: 'login.phone.code', outcome: 'ok' });
  const page2 = await as(user, one.url, 'GET', '/telegram/logs?page=2&pageSize=1');
  t.like((page2.body['entries'] as unknown[])[0], { operation: 'login.phone.start', outcome: 'ok' });
});

test.serial("error statistics count the caller's errors by kind", async (t) => {
  const user = await f.user();
  const number = account();
  const { loginId } = await startPhone(user, number);
  await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: '00000' });
  await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: '00001' });
  fake.failNext('signIn', floodWait(3));
  await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: '00002' });
  const stats = await as(user, one.url, 'GET', '/telegram/stats/errors?windowHours=1');
  t.deepEqual(stats.body, { windowHours: 1, errors: { CodeInvalid: 2, FloodWait: 1 } });
});

test.serial('metrics count logins by method and outcome, flood waits and connected accounts of the pod', async (t) => {
  const user = await f.user();
  await connect(user);
  const qr = await as(user, one.url, 'POST', '/telegram/logins/qr');
  fake.scanQr(qr.body['url'] as string, account());
  await eventually(
    async () =>
      (await as(user, one.url, 'GET', `/telegram/logins/${qr.body['loginId']}`)).body['state'] === 'connected',
  );
  for (const wait of [30, 60]) {
    fake.failNext('sendCode', floodWait(wait));
    await startPhone(user, account());
  }
  const text = await (await fetch(`${one.url}/metrics`)).text();
  t.regex(text, /telegram_logins_total\{method="phone",outcome="connected",service="integration-service"\} \d+/);
  t.regex(text, /telegram_logins_total\{method="qr",outcome="connected",service="integration-service"\} \d+/);
  t.regex(text, /telegram_flood_waits_total\{operation="login.phone.start",service="integration-service"\} 2/);
  const connected = /telegram_connected_accounts\{pod="([^"]+)",service="integration-service"\} (\d+)/.exec(text);
  t.is(connected?.[1], one.pod);
  t.is(Number(connected?.[2]), one.service.ownership.connectedAccounts());
  t.true(Number(connected?.[2]) > 0);
});

// --- secrets --------------------------------------------------------------------------------------------

test.serial('session strings in PostgreSQL are Vault transit ciphertext', async (t) => {
  const rows = await one.service.store.rows<{ session_ciphertext: string | null }>(
    `SELECT session_ciphertext FROM telegram_accounts UNION ALL SELECT session_ciphertext FROM telegram_logins`,
  );
  const stored = rows.map((row) => row.session_ciphertext).filter((value): value is string => value !== null);
  t.true(stored.length > 5);
  for (const ciphertext of stored) {
    t.regex(ciphertext, /^vault:v\d+:/);
    const session = await decrypt(ciphertext);
    f.secrets.add(session);
    t.regex(session, /^fake1:/);
  }
  const dump = JSON.stringify(
    await one.service.store.rows(`SELECT * FROM telegram_accounts a FULL JOIN telegram_logins l ON false`),
  );
  t.notRegex(dump, /fake1:/);
});

testLogsHoldNoSecrets();
