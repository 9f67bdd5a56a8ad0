import test from 'ava';
import {
  floodWait,
  TelegramError,
  type TelegramErrorKind,
} from '../../services/integration-service/src/telegram/port.ts';
import { as, sleep } from './fixture.ts';
import { loginsSuite } from './logins-suite.ts';

const { f, fake, one, phone, account, startPhone, codeOf, testLogsHoldNoSecrets } = loginsSuite();

// --- errors -------------------------------------------------------------------------------------------

const codeStepErrors: [TelegramErrorKind, number][] = [
  ['CodeInvalid', 400],
  ['CodeExpired', 400],
  ['PhoneBanned', 403],
  ['SessionRevoked', 410],
  ['KeyDuplicated', 409],
  ['Unavailable', 502],
];
for (const [kind, status] of codeStepErrors) {
  test.serial(`${kind} from Telegram answers ${status} with a problem naming it`, async (t) => {
    const user = await f.user();
    const number = account();
    const { loginId } = await startPhone(user, number);
    fake.failNext('signIn', new TelegramError(kind));
    const response = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: '11111' });
    t.is(response.status, status);
    t.is(response.body['kind'], kind);
    t.is(response.headers.get('content-type'), 'application/problem+json');
  });
}

test.serial('a wrong code answers 400 CodeInvalid and the right code still connects', async (t) => {
  const user = await f.user();
  const number = account();
  const { loginId } = await startPhone(user, number);
  const wrong = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: '00000' });
  t.is(wrong.status, 400);
  t.is(wrong.body['kind'], 'CodeInvalid');
  const right = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  t.is(right.body['state'], 'connected');
});

test.serial('an expired code answers 400 CodeExpired and a resent code connects', async (t) => {
  const user = await f.user();
  const number = account();
  const { loginId } = await startPhone(user, number);
  const code = codeOf(number);
  fake.expireCode(number);
  const expired = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code });
  t.is(expired.status, 400);
  t.is(expired.body['kind'], 'CodeExpired');
  await as(user, one.url, 'POST', `/telegram/logins/${loginId}/resend`);
  const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  t.is(done.body['state'], 'connected');
});

test.serial('a wrong two-step password answers 400 PasswordInvalid', async (t) => {
  const user = await f.user();
  const number = account({ password: 'the real one' });
  const { loginId } = await startPhone(user, number);
  await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  f.secrets.add('not the password');
  const wrong = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/password`, {
    password: 'not the password',
  });
  t.is(wrong.status, 400);
  t.is(wrong.body['kind'], 'PasswordInvalid');
});

test.serial('a number Telegram rejects answers 400 PhoneInvalid and fails the login', async (t) => {
  const user = await f.user();
  const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: phone() });
  t.is(response.status, 400);
  t.is(response.body['kind'], 'PhoneInvalid');
});

test.serial('Telegram being unreachable when a login starts answers 502 and records the failed login', async (t) => {
  const user = await f.user();
  fake.failNext('open', new TelegramError('Unavailable'));
  const response = await as(user, one.url, 'POST', '/telegram/logins/qr');
  t.is(response.status, 502);
  t.is(response.body['kind'], 'Unavailable');
  const logs = await as(user, one.url, 'GET', '/telegram/logs');
  t.like((logs.body['entries'] as unknown[])[0], {
    operation: 'login.qr.start',
    outcome: 'error',
    errorKind: 'Unavailable',
  });
});

test.serial('a malformed phone number is a 400 without any Telegram call', async (t) => {
  const user = await f.user();
  // Only login calls count: the reconcile loop may touch connected accounts in the background.
  const loginCalls = (): number => fake.calls.filter((call) => call.op === 'sendCode' || call.op === 'signIn').length;
  const before = loginCalls();
  const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: 'call me maybe' });
  t.is(response.status, 400);
  t.is((response.body['errors'] as { field: string }[])[0]?.field, 'phone');
  t.is(loginCalls(), before);
});

test.serial('a malformed code is a 400 without any Telegram call', async (t) => {
  const user = await f.user();
  const number = account();
  const { loginId } = await startPhone(user, number);
  const loginCalls = (): number => fake.calls.filter((call) => call.op === 'sendCode' || call.op === 'signIn').length;
  const before = loginCalls();
  const response = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: 'abc' });
  t.is(response.status, 400);
  t.is(loginCalls(), before);
});

test.serial('a flood wait answers 429 with Retry-After at once, and the phone cools down in PostgreSQL', async (t) => {
  const user = await f.user();
  const number = account();
  fake.failNext('sendCode', floodWait(120));
  const started = Date.now();
  const first = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  t.true(Date.now() - started < 2000);
  t.is(first.status, 429);
  t.is(first.headers.get('retry-after'), '120');
  const calls = fake.calls.filter((call) => call.op === 'sendCode').length;
  const second = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  t.is(second.status, 429);
  t.true(Number(second.headers.get('retry-after')) <= 120);
  t.is(fake.calls.filter((call) => call.op === 'sendCode').length, calls);
  const [cooldown] = await one.service.store.rows<{ phone: string }>(
    'SELECT phone FROM phone_cooldowns WHERE phone = $1',
    [number],
  );
  t.is(cooldown?.phone, number);
});

test.serial(
  'a flood wait on the code step answers 429, a retry inside it stays here, and the login stays usable',
  async (t) => {
    const user = await f.user();
    const number = account();
    const { loginId } = await startPhone(user, number);
    fake.failNext('signIn', floodWait(2));
    const flooded = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
    t.is(flooded.status, 429);
    t.is(flooded.headers.get('retry-after'), '2');
    const signIns = fake.calls.filter((call) => call.op === 'signIn').length;
    const early = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
    t.is(early.status, 429);
    t.is(fake.calls.filter((call) => call.op === 'signIn').length, signIns);
    t.like((await as(user, one.url, 'GET', `/telegram/logins/${loginId}`)).body, { canSubmitCode: false });
    await sleep(2100);
    const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
    t.is(done.body['state'], 'connected');
  },
);

test.serial(
  'PHONE_NUMBER_FLOOD answers 429 with a cooldown stored for the number, so the next try stays here',
  async (t) => {
    const user = await f.user();
    const number = account();
    fake.failNext('sendCode', new TelegramError('PhoneFlood'));
    const first = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
    t.is(first.status, 429);
    t.is(first.body['kind'], 'PhoneFlood');
    t.is(first.headers.get('retry-after'), '86400');
    const sendCodes = fake.calls.filter((call) => call.op === 'sendCode').length;
    const second = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
    t.is(second.status, 429);
    t.true(Number(second.headers.get('retry-after')) > 86_000);
    t.is(fake.calls.filter((call) => call.op === 'sendCode').length, sendCodes);
  },
);

test.serial('a login whose code has no further delivery method does not offer a resend', async (t) => {
  const user = await f.user();
  const number = phone();
  fake.addAccount({ phone: number, codeTypes: ['app'] });
  const { response, loginId } = await startPhone(user, number);
  t.like(response.body, { state: 'code_sent', canResend: false, canSubmitCode: true });
  const resends = fake.calls.filter((call) => call.op === 'resendCode').length;
  const resent = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/resend`);
  t.is(resent.status, 409);
  t.is(resent.body['kind'], 'CodeUnavailable');
  t.is(fake.calls.filter((call) => call.op === 'resendCode').length, resends);
});

test.serial('SEND_CODE_UNAVAILABLE on a resend answers 409 and the login stops offering a resend', async (t) => {
  const user = await f.user();
  const number = account();
  const { response, loginId } = await startPhone(user, number);
  t.like(response.body, { canResend: true });
  fake.failNext('resendCode', new TelegramError('CodeUnavailable'));
  const refused = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/resend`);
  t.is(refused.status, 409);
  t.is(refused.body['kind'], 'CodeUnavailable');
  const polled = await as(user, one.url, 'GET', `/telegram/logins/${loginId}`);
  t.like(polled.body, { state: 'code_sent', canResend: false, canSubmitCode: true });
  const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  t.is(done.body['state'], 'connected');
});

testLogsHoldNoSecrets();
