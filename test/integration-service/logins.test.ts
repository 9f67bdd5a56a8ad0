import test from 'ava';
import { as, eventually, sleep } from './fixture.ts';
import { loginsSuite } from './logins-suite.ts';

const { f, fake, one, account, startPhone, codeOf, decrypt, loginRow, testLogsHoldNoSecrets } = loginsSuite();

// --- phone logins -------------------------------------------------------------------------------------

test.serial('a phone login with the code from the Telegram app connects the account', async (t) => {
  const user = await f.user();
  const number = account();
  const { response, loginId } = await startPhone(user, number);
  t.is(response.status, 201);
  t.like(response.body, { state: 'code_sent', codeType: 'app', nextCodeType: 'sms', timeout: 60 });
  const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  t.is(done.status, 200);
  t.is(done.body['state'], 'connected');
  const accounts = await as(user, one.url, 'GET', '/telegram/accounts');
  t.deepEqual(
    (accounts.body['accounts'] as { phone: string; state: string }[]).map((a) => [a.phone, a.state]),
    [[number, 'connected']],
  );
  const polled = await as(user, one.url, 'GET', `/telegram/logins/${loginId}`);
  t.like(polled.body, { state: 'connected', accountId: done.body['accountId'] });
});

test.serial('a phone login finishes with the SMS code after a resend', async (t) => {
  const user = await f.user();
  const number = account();
  const { loginId } = await startPhone(user, number);
  const appCode = codeOf(number);
  const resent = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/resend`);
  t.is(resent.status, 200);
  t.like(resent.body, { state: 'code_sent', codeType: 'sms' });
  const smsCode = codeOf(number);
  t.not(smsCode, appCode);
  const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: smsCode });
  t.is(done.body['state'], 'connected');
});

test.serial('a phone login with two-step verification asks for the password, then connects', async (t) => {
  const user = await f.user();
  const number = account({ password: 'correct horse battery' });
  const { loginId } = await startPhone(user, number);
  const step = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  t.is(step.status, 200);
  t.like(step.body, { state: 'password_required', passwordHint: 'pet' });
  const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/password`, {
    password: 'correct horse battery',
  });
  t.is(done.status, 200);
  t.is(done.body['state'], 'connected');
});

test.serial(
  'the session is saved only after SendCode returned, on the DC that PHONE_MIGRATE moved it to',
  async (t) => {
    const user = await f.user();
    const number = account({ dcId: 4 });
    const { loginId } = await startPhone(user, number);
    const stored = await loginRow(loginId);
    const session = await decrypt(stored.session_ciphertext);
    f.secrets.add(session);
    t.regex(session, /:4$/);
    const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
    t.is(done.body['state'], 'connected');
  },
);

// --- QR logins ----------------------------------------------------------------------------------------

test.serial('a QR login returns a tg:// URL with SVG and PNG codes and connects when it is scanned', async (t) => {
  const user = await f.user();
  const number = account();
  const started = await as(user, one.url, 'POST', '/telegram/logins/qr');
  t.is(started.status, 201);
  t.like(started.body, { method: 'qr', state: 'waiting' });
  t.regex(started.body['url'] as string, /^tg:\/\/login\?token=[\w-]+$/);
  t.regex(started.body['qrSvg'] as string, /^<svg/);
  t.regex(started.body['qrPng'] as string, /^data:image\/png;base64,/);
  t.true(new Date(started.body['expiresAt'] as string).getTime() > Date.now());
  fake.scanQr(started.body['url'] as string, number);
  const done = await eventually(async () => {
    const polled = await as(user, one.url, 'GET', `/telegram/logins/${started.body['loginId']}`);
    return polled.body['state'] === 'connected' && polled;
  });
  t.regex(String(done.body['accountId']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test.serial('the QR token is exported again before it expires and the new one works', async (t) => {
  const user = await f.user();
  const number = account();
  const started = await as(user, one.url, 'POST', '/telegram/logins/qr');
  const loginId = started.body['loginId'] as string;
  const refreshed = await eventually(async () => {
    const polled = await as(user, one.url, 'GET', `/telegram/logins/${loginId}`);
    return polled.body['url'] !== started.body['url'] && polled;
  });
  t.is(refreshed.body['state'], 'waiting');
  t.true(new Date(refreshed.body['expiresAt'] as string) > new Date(started.body['expiresAt'] as string));
  await sleep(1500);
  t.throws(() => fake.scanQr(started.body['url'] as string, number), { message: /unknown or expired/ });
  const current = await as(user, one.url, 'GET', `/telegram/logins/${loginId}`);
  fake.scanQr(current.body['url'] as string, number);
  const done = await eventually(async () => {
    const polled = await as(user, one.url, 'GET', `/telegram/logins/${loginId}`);
    return polled.body['state'] === 'connected' && polled;
  });
  t.regex(String(done.body['accountId']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test.serial('a QR login of an account on another DC imports the token there and connects', async (t) => {
  const user = await f.user();
  const number = account({ dcId: 5 });
  const started = await as(user, one.url, 'POST', '/telegram/logins/qr');
  fake.scanQr(started.body['url'] as string, number);
  const done = await eventually(async () => {
    const polled = await as(user, one.url, 'GET', `/telegram/logins/${started.body['loginId']}`);
    return polled.body['state'] === 'connected' && polled;
  });
  t.true(fake.calls.some((call) => call.op === 'importLoginToken'));
  const [row] = await one.service.store.rows<{ session_ciphertext: string }>(
    'SELECT session_ciphertext FROM telegram_accounts WHERE id = $1',
    [done.body['accountId']],
  );
  const session = await decrypt(row!.session_ciphertext);
  f.secrets.add(session);
  t.regex(session, /:5$/);
  t.true(fake.isAuthorized(session));
});

test.serial('a QR login of an account with two-step verification asks for the password', async (t) => {
  const user = await f.user();
  const number = account({ password: 'qr second factor' });
  const started = await as(user, one.url, 'POST', '/telegram/logins/qr');
  fake.scanQr(started.body['url'] as string, number);
  const waiting = await eventually(async () => {
    const polled = await as(user, one.url, 'GET', `/telegram/logins/${started.body['loginId']}`);
    return polled.body['state'] === 'password_required' && polled;
  });
  t.is(waiting.body['passwordHint'], 'pet');
  const done = await as(user, one.url, 'POST', `/telegram/logins/${started.body['loginId']}/password`, {
    password: 'qr second factor',
  });
  t.is(done.body['state'], 'connected');
});

testLogsHoldNoSecrets();
