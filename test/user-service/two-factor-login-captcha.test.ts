import test from 'ava';
import { randomUUID } from 'node:crypto';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { addresses, call, registerAccount, startUserServiceFixture, userServiceFixtureForFile } from './fixture.ts';

// Issue 18 item 4: after repeated failed logins for an address from one IP, a login needs a solved ALTCHA proof
// of work (the registration captcha's module), counted in PostgreSQL.
const f = userServiceFixtureForFile({
  // The login captcha applies where the UI carries the widget, which is where registration needs it too.
  CAPTCHA_REQUIRED: 'true',
  LOGIN_CAPTCHA_AFTER_FAILURES: '2',
  LOGIN_CAPTCHA_AFTER_FAILURES_PER_IP: '50',
  CAPTCHA_COST: '10',
  CAPTCHA_COUNTER_MAX: '200',
  REGISTER_LIMIT_PER_IP: '1000',
});
const nextIp = addresses('10.19');
const CAPTCHA = 'https://content-factory.local/problems/captcha/';

async function solved(ip: string): Promise<string> {
  const challenge = (await call(f.url, 'GET', '/auth/captcha', { ip })).body as unknown as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

async function account(ip: string) {
  return registerAccount(f.url, ip, `lc-${randomUUID().slice(0, 8)}@example.org`, `login captcha ${randomUUID()}`, {
    captcha: await solved(ip),
  });
}

function login(email: string, password: string, ip: string, captcha?: string) {
  return call(f.url, 'POST', '/auth/login', { body: { email, password, ...(captcha ? { captcha } : {}) }, ip });
}

test('without CAPTCHA_REQUIRED no login ever asks for a captcha', async (t) => {
  const other = await startUserServiceFixture({ LOGIN_CAPTCHA_AFTER_FAILURES: '1' });
  t.teardown(() => other.stop());
  const ip = nextIp();
  const { email, password } = await registerAccount(
    other.url,
    ip,
    `nc-${randomUUID().slice(0, 8)}@example.org`,
    `no captcha ${randomUUID()}`,
  );
  await call(other.url, 'POST', '/auth/login', { body: { email, password: 'wrong password' }, ip });
  await call(other.url, 'POST', '/auth/login', { body: { email, password: 'wrong password' }, ip });
  t.is((await call(other.url, 'POST', '/auth/login', { body: { email, password }, ip })).status, 200);
});

test('the first failures need no captcha', async (t) => {
  const ip = nextIp();
  const { email } = await account(ip);
  t.is((await login(email, 'wrong password', ip)).status, 401);
  t.is((await login(email, 'wrong password', ip)).status, 401);
});

test('after the configured failures a login without a captcha is a 400 naming it, even with the right password', async (t) => {
  const ip = nextIp();
  const { email, password } = await account(ip);
  await login(email, 'wrong password', ip);
  await login(email, 'wrong password', ip);
  const response = await login(email, password, ip);
  t.is(response.status, 400);
  t.is(response.body['type'], `${CAPTCHA}missing`);
  t.is(response.setCookie, null);
});

test('with a solved captcha the login goes through, and success clears the count', async (t) => {
  const ip = nextIp();
  const { email, password } = await account(ip);
  await login(email, 'wrong password', ip);
  await login(email, 'wrong password', ip);
  const response = await login(email, password, ip, await solved(ip));
  t.is(response.status, 200);
  t.truthy(response.body['access_token']);
  t.is((await login(email, password, ip)).status, 200, 'no captcha needed after a success');
});

test('a replayed captcha answer is refused on login too', async (t) => {
  const ip = nextIp();
  const { email } = await account(ip);
  await login(email, 'wrong password', ip);
  await login(email, 'wrong password', ip);
  const answer = await solved(ip);
  t.is((await login(email, 'still wrong', ip, answer)).status, 401);
  const again = await login(email, 'still wrong', ip, answer);
  t.is(again.status, 400);
  t.is(again.body['type'], `${CAPTCHA}replayed`);
});

test('failures for an address from one IP do not ask another IP for a captcha', async (t) => {
  const ip = nextIp();
  const { email, password } = await account(ip);
  await login(email, 'wrong password', ip);
  await login(email, 'wrong password', ip);
  t.is((await login(email, password, nextIp())).status, 200);
});
