import test from 'ava';
import { randomInt } from 'node:crypto';
import { loadIntegrationServiceConfig } from '../../services/integration-service/src/config.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { as, startIntegrationFixture, type Instance, type IntegrationFixture } from './fixture.ts';

// Issue 18: an account whose address is unverified may not connect Telegram accounts or publish (the default
// UNVERIFIED_MAY_NOT), decided by the access token's `email_verified` claim.
let f: IntegrationFixture;
let fake: FakeTelegram;
let service: Instance;
const UNVERIFIED = 'https://content-factory.local/problems/account/unverified';

test.before(async () => {
  f = await startIntegrationFixture();
  fake = new FakeTelegram();
  service = await f.instance(fake);
});

test.after.always(async () => {
  await f?.stop();
});

const phone = (): string => `+49154${String(randomInt(1_000_000, 9_999_999))}`;

test('an unverified user gets 403 unverified on starting a Telegram phone login', async (t) => {
  const user = await f.user({ verified: false });
  const number = phone();
  fake.addAccount({ phone: number });
  const response = await as(user, service.url, 'POST', '/telegram/logins/phone', { phone: number });
  t.is(response.status, 403);
  t.is(response.body['type'], UNVERIFIED);
  t.is(fake.calls.filter((call) => call.op === 'sendCode').length, 0, 'Telegram was never asked');
});

test('an unverified user gets 403 unverified on starting a QR login', async (t) => {
  const user = await f.user({ verified: false });
  const response = await as(user, service.url, 'POST', '/telegram/logins/qr');
  t.is(response.status, 403);
  t.is(response.body['type'], UNVERIFIED);
});

test('an unverified user gets 403 unverified on creating a post', async (t) => {
  const user = await f.user({ verified: false });
  const response = await as(user, service.url, 'POST', '/telegram/posts', { text: 'hello', targets: [] });
  t.is(response.status, 403);
  t.is(response.body['type'], UNVERIFIED);
});

test('an unverified user may still read their accounts', async (t) => {
  const user = await f.user({ verified: false });
  t.is((await as(user, service.url, 'GET', '/telegram/accounts')).status, 200);
});

test('a verified user connects a Telegram account', async (t) => {
  const user = await f.user();
  const number = phone();
  fake.addAccount({ phone: number });
  const started = await as(user, service.url, 'POST', '/telegram/logins/phone', { phone: number });
  t.is(started.status, 201);
  const code = await as(user, service.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
    code: fake.lastCode(number),
  });
  t.is(code.status, 200);
});

test('UNVERIFIED_MAY_NOT defaults to connecting accounts and publishing; none refuses nothing', (t) => {
  t.deepEqual(loadIntegrationServiceConfig({}).UNVERIFIED_MAY_NOT, ['connect-accounts', 'publish']);
  t.deepEqual(loadIntegrationServiceConfig({ UNVERIFIED_MAY_NOT: 'none' }).UNVERIFIED_MAY_NOT, []);
});

test('UNVERIFIED_MAY_NOT naming an unknown action is refused at start, naming the variable', (t) => {
  t.throws(() => loadIntegrationServiceConfig({ UNVERIFIED_MAY_NOT: 'connect-accounts,fly' }), {
    message: /UNVERIFIED_MAY_NOT/,
  });
});

test('the OpenAPI document names the 403 on the refused operations', async (t) => {
  const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
  };
  t.regex(document.paths['/telegram/logins/qr']!['post']!.responses['403']!.description, /not verified/);
  t.regex(document.paths['/telegram/posts']!['post']!.responses['403']!.description, /not verified/);
});
