import test from 'ava';
import { randomInt } from 'node:crypto';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import {
  floodWait,
  TelegramError,
  type TelegramErrorKind,
} from '../../services/integration-service/src/telegram/port.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { as, eventually, integrationFixtureForFile, sleep, type User } from './fixture.ts';

const f = integrationFixtureForFile();
const fake = new FakeTelegram({ qrTtlSeconds: 3 });
const one = fileFixture(() => f.instance(fake, { HEALTH_INTERVAL_SECONDS: '0.3' }));

/** One-time codes: short, so they are checked as JSON string values only. */
const codes = new Set<string>();

const phone = (): string => `+49151${String(randomInt(1_000_000, 9_999_999))}`;

function account(options: { password?: string; dcId?: number; codeTypes?: ('app' | 'sms')[] } = {}): string {
  const number = phone();
  fake.addAccount({ phone: number, firstName: 'Ada', ...options, ...(options.password ? { hint: 'pet' } : {}) });
  if (options.password) f.secrets.add(options.password);
  return number;
}

async function startPhone(user: User, number: string) {
  const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  return { response, loginId: response.body['loginId'] as string };
}

function codeOf(number: string): string {
  const code = fake.lastCode(number)!;
  codes.add(code);
  return code;
}

async function connect(user: User): Promise<{ accountId: string; number: string }> {
  const number = account();
  const { loginId } = await startPhone(user, number);
  const done = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: codeOf(number) });
  if (done.status !== 200) throw new Error(`connect: ${done.status} ${JSON.stringify(done.body)}`);
  return { accountId: done.body['accountId'] as string, number };
}

async function decrypt(ciphertext: string): Promise<string> {
  const response = await fetch(`${f.users.vault.address}/v1/transit/decrypt/telegram-sessions`, {
    method: 'POST',
    headers: { 'x-vault-token': f.users.vault.rootToken ?? '' },
    body: JSON.stringify({ ciphertext }),
  });
  const body = (await response.json()) as { data: { plaintext: string } };
  return Buffer.from(body.data.plaintext, 'base64').toString('utf8');
}

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

async function loginRow(id: string): Promise<{ session_ciphertext: string; state: string }> {
  const [row] = await one.service.store.rows<{ session_ciphertext: string; state: string }>(
    'SELECT session_ciphertext, state FROM telegram_logins WHERE id = $1',
    [id],
  );
  return row!;
}

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

test.serial('session strings, codes, passwords and access tokens never appear in the logs', async (t) => {
  t.true(f.logs.length > 20);
  const text = f.logs.join('\n');
  for (const secret of f.secrets) {
    t.false(text.includes(secret), `a secret leaked into the logs`);
  }
  for (const code of codes) t.false(text.includes(`"${code}"`), 'a login code leaked into the logs');
  t.notRegex(text, /fake1:/);
  t.notRegex(text, /vault:v\d+:/);
});
