import test from 'ava';
import { randomInt } from 'node:crypto';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { TelegramError } from '../../services/integration-service/src/telegram/port.ts';
import { as, startIntegrationFixture, type Instance, type IntegrationFixture, type User } from './fixture.ts';

let f: IntegrationFixture;
let fake: FakeTelegram;
let a: Instance;
let b: Instance;

const CAPS = {
  LIMIT_PENDING_LOGINS_PER_USER: '2',
  LIMIT_LOGINS_PER_USER_PER_HOUR: '4',
  LIMIT_CODES_PER_PHONE_PER_DAY: '2',
  LIMIT_ACCOUNTS_PER_USER: '1',
};

test.before(async () => {
  f = await startIntegrationFixture();
  fake = new FakeTelegram();
  // Two replicas on one database: every cap must hold across them.
  a = await f.instance(fake, CAPS);
  b = await f.instance(fake, CAPS);
});

test.after.always(async () => {
  await f?.stop();
});

const phone = (): string => `+49153${String(randomInt(1_000_000, 9_999_999))}`;
const calls = (op: string): number => fake.calls.filter((call) => call.op === op).length;

async function connect(user: User, on: Instance): Promise<{ status: number; body: Record<string, unknown> }> {
  const number = phone();
  fake.addAccount({ phone: number });
  const started = await as(user, on.url, 'POST', '/telegram/logins/phone', { phone: number });
  return as(user, on.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, { code: fake.lastCode(number) });
}

test.serial('a third pending login of a user is refused with 429 and Retry-After, across replicas', async (t) => {
  const user = await f.user();
  t.is((await as(user, a.url, 'POST', '/telegram/logins/qr')).status, 201);
  t.is((await as(user, b.url, 'POST', '/telegram/logins/qr')).status, 201);
  const opens = calls('open');
  const third = await as(user, a.url, 'POST', '/telegram/logins/qr');
  t.is(third.status, 429);
  t.like(third.body, { limit: 'pending_logins_per_user', cap: 2 });
  t.is(third.body['type'], 'https://content-factory.local/problems/limits/pending-logins-per-user');
  t.true(Number(third.headers.get('retry-after')) > 0);
  t.is(calls('open'), opens);
  const other = await f.user();
  t.is((await as(other, b.url, 'POST', '/telegram/logins/qr')).status, 201);
});

test.serial('the fifth login a user starts within an hour is refused with 429 until the window moves', async (t) => {
  const user = await f.user();
  for (let i = 0; i < 4; i += 1) {
    fake.failNext('exportLoginToken', new TelegramError('Unavailable'));
    const failed = await as(user, i % 2 === 0 ? a.url : b.url, 'POST', '/telegram/logins/qr');
    t.is(failed.status, 502);
  }
  const fifth = await as(user, a.url, 'POST', '/telegram/logins/qr');
  t.is(fifth.status, 429);
  t.like(fifth.body, { limit: 'logins_per_user_per_hour', cap: 4 });
  t.true(Number(fifth.headers.get('retry-after')) > 3000);
});

test.serial('a third code for one phone number in a day is refused with 429, whoever asks', async (t) => {
  const [first, second] = [await f.user(), await f.user()];
  const number = phone();
  fake.addAccount({ phone: number });
  const started = await as(first, a.url, 'POST', '/telegram/logins/phone', { phone: number });
  t.is(started.status, 201);
  t.is((await as(first, b.url, 'POST', `/telegram/logins/${started.body['loginId']}/resend`)).status, 200);
  const sendCodes = calls('sendCode');
  const refused = await as(second, b.url, 'POST', '/telegram/logins/phone', { phone: number });
  t.is(refused.status, 429);
  t.like(refused.body, { limit: 'codes_per_phone_per_day', cap: 2 });
  t.true(Number(refused.headers.get('retry-after')) > 80_000);
  t.is(calls('sendCode'), sendCodes);
});

test.serial('a user at the account cap cannot start another login: 409, no Telegram call', async (t) => {
  const user = await f.user();
  t.is((await connect(user, a)).body['state'], 'connected');
  const opens = calls('open');
  const refused = await as(user, b.url, 'POST', '/telegram/logins/phone', { phone: phone() });
  t.is(refused.status, 409);
  t.like(refused.body, { limit: 'accounts_per_user', cap: 1 });
  t.is(refused.headers.get('retry-after'), null);
  t.is(calls('open'), opens);
});

test.serial(
  'two logins racing past the account cap: the second to finish is refused and its session logged out',
  async (t) => {
    const user = await f.user();
    const [one, two] = [phone(), phone()];
    fake.addAccount({ phone: one });
    fake.addAccount({ phone: two });
    const first = await as(user, a.url, 'POST', '/telegram/logins/phone', { phone: one });
    const second = await as(user, b.url, 'POST', '/telegram/logins/phone', { phone: two });
    t.is(second.status, 201);
    const done = await as(user, a.url, 'POST', `/telegram/logins/${first.body['loginId']}/code`, {
      code: fake.lastCode(one),
    });
    t.is(done.body['state'], 'connected');
    const late = await as(user, b.url, 'POST', `/telegram/logins/${second.body['loginId']}/code`, {
      code: fake.lastCode(two),
    });
    t.is(late.status, 409);
    t.like(late.body, { limit: 'accounts_per_user' });
    const polled = await as(user, a.url, 'GET', `/telegram/logins/${second.body['loginId']}`);
    t.like(polled.body, { state: 'failed', reason: 'AccountLimit' });
    t.is(((await as(user, a.url, 'GET', '/telegram/accounts')).body['accounts'] as unknown[]).length, 1);
    t.true(calls('logOut') > 0);
  },
);

test.serial('each refusal is counted in integration_limit_rejections_total by limit', async (t) => {
  const text = (await (await fetch(`${a.url}/metrics`)).text()) + (await (await fetch(`${b.url}/metrics`)).text());
  for (const limit of [
    'pending_logins_per_user',
    'logins_per_user_per_hour',
    'codes_per_phone_per_day',
    'accounts_per_user',
  ]) {
    t.regex(
      text,
      new RegExp(`integration_limit_rejections_total\\{limit="${limit}",service="integration-service"\\} [1-9]`),
    );
  }
});
