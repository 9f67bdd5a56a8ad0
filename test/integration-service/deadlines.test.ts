import test from 'ava';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGramClient, GramJsPort } from '../../services/integration-service/src/telegram/gramjs.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { scratchDir } from '../support/process.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { call } from '../user-service/fixture.ts';
import { as, eventually, startIntegrationFixture, type IntegrationFixture } from './fixture.ts';

let f: IntegrationFixture;

test.before(async () => {
  f = await startIntegrationFixture();
});

test.after.always(async () => {
  await f?.stop();
});

const phone = (): string => `+49152${String(randomInt(1_000_000, 9_999_999))}`;

/** Telegram deadlines short enough for a test. */
const FAST = { TELEGRAM_CALL_TIMEOUT_SECONDS: '0.5', TELEGRAM_CONNECT_TIMEOUT_SECONDS: '0.5' };

test.serial(
  'a phone login to a number Telegram never answers for fails with 504 and Retry-After at the deadline',
  async (t) => {
    const fake = new FakeTelegram();
    const one = await f.instance(fake, FAST, t);
    const user = await f.user();
    const number = phone();
    fake.addAccount({ phone: number });
    fake.stopAnswering(number);
    const started = Date.now();
    const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
    t.true(Date.now() - started < 3000, `answered after ${Date.now() - started} ms`);
    t.is(response.status, 504);
    t.is(response.body['kind'], 'Timeout');
    t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    t.regex(metrics, /telegram_call_timeouts_total\{operation="sendCode",service="integration-service"\} 1/);
  },
);

test.serial('a GramJS client whose connect() answers false fails the login at once with 503 Unreachable', async (t) => {
  const port = new GramJsPort({
    apiId: 1,
    apiHash: 'hash',
    createClient(session, apiId, apiHash) {
      const client = createGramClient(session, apiId, apiHash);
      const stub = client as unknown as Record<string, unknown>;
      stub['connect'] = async () => false;
      stub['destroy'] = async () => undefined;
      stub['invoke'] = () => new Promise(() => undefined);
      return client;
    },
  });
  const one = await f.instance(port, {}, t);
  const user = await f.user();
  const started = Date.now();
  const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: phone() });
  t.true(Date.now() - started < 2000);
  t.is(response.status, 503);
  t.is(response.body['kind'], 'Unreachable');
  t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
});

test.serial('while one adopted account never answers, the others are taken over and logins still expire', async (t) => {
  const fake = new FakeTelegram();
  const one = await f.instance(fake, {}, t);
  const user = await f.user();
  const numbers = [phone(), phone(), phone()];
  const ids: string[] = [];
  for (const number of numbers) {
    fake.addAccount({ phone: number });
    const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
    const done = await as(user, one.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
      code: fake.lastCode(number),
    });
    ids.push(done.body['accountId'] as string);
  }
  await one.service.crash();
  fake.stopAnswering(numbers[0]!);
  const two = await f.instance(fake, { ...FAST, LOGIN_TTL_SECONDS: '2' }, t);
  const qr = await as(user, two.url, 'POST', '/telegram/logins/qr');
  await eventually(async () => ids.slice(1).every((id) => two.service.ownership.holds(`account:${id}`)), 15_000);
  const expired = await eventually(async () => {
    const polled = await as(user, two.url, 'GET', `/telegram/logins/${qr.body['loginId']}`);
    return polled.body['state'] === 'expired' && polled;
  }, 15_000);
  t.is(expired.body['state'], 'expired');
  t.false(two.service.ownership.holds(`account:${ids[0]}`));
  t.true(ids.slice(1).every((id) => two.service.ownership.holds(`account:${id}`)));
});

test.serial('shutting down with a client that never answers finishes within SHUTDOWN_TIMEOUT_SECONDS', async (t) => {
  const fake = new FakeTelegram();
  const one = await f.instance(fake, { SHUTDOWN_TIMEOUT_SECONDS: '2', TELEGRAM_CALL_TIMEOUT_SECONDS: '60' }, t);
  const user = await f.user();
  const number = phone();
  fake.addAccount({ phone: number });
  const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  const done = await as(user, one.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
    code: fake.lastCode(number),
  });
  t.is(done.body['state'], 'connected');
  fake.stopAnswering(number);
  const stuck = as(user, one.url, 'DELETE', `/telegram/accounts/${done.body['accountId']}`).catch(() => undefined);
  const closing = Date.now();
  await one.service.close();
  t.true(Date.now() - closing < 3000, `shutdown took ${Date.now() - closing} ms`);
  await stuck;
});

const main = fileURLToPath(new URL('../../services/integration-service/src/main.ts', import.meta.url));

test.serial(
  'SIGTERM of a service process with a login stuck on Telegram exits 0 within the shutdown timeout',
  async (t) => {
    await f.users.postgres.query('CREATE DATABASE integrations_sigterm');
    const service = await startServiceProcess(main, {
      TELEGRAM_MODE: 'demo',
      POD_NAME: 'local-0',
      DATABASE_PORT: String(f.users.postgres.port),
      DATABASE_USER: f.users.postgres.user,
      DATABASE_PASSWORD: f.users.postgres.password,
      DATABASE_NAME: 'integrations_sigterm',
      VAULT_ADDR: '',
      JWKS_URL: `${f.users.url}/.well-known/jwks.json`,
      LOCAL_SESSION_KEY_FILE: join(scratchDir('integration-sigterm'), 'session.key'),
      TELEGRAM_CALL_TIMEOUT_SECONDS: '120',
      SHUTDOWN_TIMEOUT_SECONDS: '3',
    });
    t.teardown(() => service.stop());
    const user = await f.user();
    // Demo numbers ending in 99 never get an answer from the demo Telegram.
    const stuck = call(service.url, 'POST', '/telegram/logins/phone', {
      token: user.token,
      body: { phone: '+15550001199' },
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stopping = Date.now();
    await service.process.stop(15_000, 'SIGTERM');
    t.is(await service.process.exited, 0);
    t.true(Date.now() - stopping < 5000, `exit took ${Date.now() - stopping} ms`);
    await stuck;
  },
);
