import test from 'ava';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { addresses, call, registerAccount, userServiceFixtureForFile } from './fixture.ts';
import { accountWithTotp, atSecondFactor, login, secondFactor, stepToken, totpCode } from './two-factor-support.ts';
import { secondFactorsOf } from '../../services/user-service/src/two-factor/state.ts';

// Issue 18 item 5 over HTTP, against real PostgreSQL and OpenBao (transit): TOTP, recovery codes, the login step.
const f = userServiceFixtureForFile({
  VAULT_TRANSIT_ENSURE: 'true',
  TWO_FACTOR_ATTEMPTS_PER_USER: '3',
  REGISTER_LIMIT_PER_IP: '1000',
});
const nextIp = addresses('10.18');
const STEP = 'https://content-factory.local/problems/login-step/';
const FACTOR = 'https://content-factory.local/problems/second-factor/';

/** A query in the service's own database. */
function sql<Row extends object>(query: string, bind: unknown[]): Promise<Row[]> {
  return f.service.store.sequelize.query<Row>(query, { bind, type: QueryTypes.SELECT });
}

test('enrolment answers a secret, its otpauth URI and an SVG QR code', async (t) => {
  const ip = nextIp();
  const account = await registerAccount(f.url, ip, `qr-${randomUUID().slice(0, 8)}@example.org`, `qr ${randomUUID()}`);
  const response = await call(f.url, 'POST', '/auth/two-factor/totp', { token: account.accessToken, ip });
  t.is(response.status, 201);
  const secret = response.body['secret'] as string;
  t.regex(secret, /^[A-Z2-7]{32}$/);
  t.true((response.body['otpauthUri'] as string).startsWith('otpauth://totp/'));
  t.true((response.body['otpauthUri'] as string).includes(`secret=${secret}`));
  const svg = Buffer.from((response.body['qrCode'] as string).replace('data:image/svg+xml;base64,', ''), 'base64');
  t.true(svg.toString('utf8').includes('<svg'));
});

test('the TOTP secret is stored only as Vault transit ciphertext', async (t) => {
  const account = await accountWithTotp(f.url, nextIp());
  const [row] = await sql<{ secret_ciphertext: string }>(
    `SELECT secret_ciphertext FROM totp_credentials WHERE user_id = $1`,
    [account.userId],
  );
  t.regex(row!.secret_ciphertext, /^vault:v\d+:/);
  t.false(row!.secret_ciphertext.includes(account.secret));
});

test('confirming enrolment turns 2FA on and shows 10 recovery codes once', async (t) => {
  const account = await accountWithTotp(f.url, nextIp());
  t.is(account.recoveryCodes.length, 10);
  t.is(new Set(account.recoveryCodes).size, 10);
  const state = await call(f.url, 'GET', '/auth/two-factor', { token: account.accessToken });
  t.like(state.body, { enabled: true, totp: true, recoveryCodesLeft: 10, passkeys: [] });
  const codes = await sql<{ code_hash: string }>('SELECT code_hash FROM recovery_codes WHERE user_id = $1', [
    account.userId,
  ]);
  t.false(
    codes.some((row) => account.recoveryCodes.includes(row.code_hash)),
    'only digests are stored',
  );
});

test('a login with 2FA on answers only the step: no cookie and no access token', async (t) => {
  const ip = nextIp();
  const account = await accountWithTotp(f.url, ip);
  const response = await login(f.url, account, ip);
  t.is(response.status, 200);
  t.is(response.body['second_factor_required'], true);
  t.deepEqual(response.body['methods'], ['totp', 'recovery-code']);
  t.is(response.body['access_token'], undefined);
  t.is(response.setCookie, null);
  t.regex(response.body['step_token'] as string, /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
});

test('a TOTP code of the next step completes the login with a session like a plain login', async (t) => {
  const ip = nextIp();
  const { account, step } = await atSecondFactor(f.url, ip);
  const response = await secondFactor(f.url, ip, { step_token: step, code: totpCode(account.secret, 1) });
  t.is(response.status, 200);
  t.is(response.body['token_type'], 'Bearer');
  t.truthy(response.refreshCookie);
  const me = await call(f.url, 'GET', '/users/me', { token: response.body['access_token'] as string });
  t.is(me.status, 200);
});

test('a code already used (the one that confirmed enrolment) is refused: replay', async (t) => {
  const ip = nextIp();
  const { account, step } = await atSecondFactor(f.url, ip);
  // The confirmation spent its step; the same code again (even after the 30 s step turned), or one of an earlier
  // step, is a replay. Taking the code afresh here failed whenever a step boundary fell between the two calls.
  const replayed = await secondFactor(f.url, ip, { step_token: step, code: account.confirmedCode });
  t.is(replayed.status, 400);
  t.is(replayed.body['type'], `${FACTOR}wrong`);
  const earlier = await secondFactor(f.url, ip, { step_token: step, code: totpCode(account.secret, -1) });
  t.is(earlier.status, 400);
});

test('wrong codes are limited per user: 429 after the configured number', async (t) => {
  const ip = nextIp();
  const { account, step } = await atSecondFactor(f.url, ip);
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 4; attempt += 1) {
    statuses.push((await secondFactor(f.url, ip, { step_token: step, code: '000000' })).status);
  }
  t.deepEqual(statuses, [400, 400, 400, 429]);
  // Even the right code waits out the window now: the limit is per user, not per guess.
  const right = await secondFactor(f.url, ip, { step_token: step, code: totpCode(account.secret, 1) });
  t.is(right.status, 429);
});

test('a recovery code completes a login once; a second use is refused', async (t) => {
  const ip = nextIp();
  const account = await accountWithTotp(f.url, ip);
  const code = account.recoveryCodes[0]!;
  const first = await secondFactor(f.url, ip, { step_token: await stepToken(f.url, account, ip), recoveryCode: code });
  t.is(first.status, 200);
  // Typed loosely (upper case, no dash), it is still the same code, and still spent.
  const loose = code.replace('-', '').toUpperCase();
  const again = await secondFactor(f.url, ip, { step_token: await stepToken(f.url, account, ip), recoveryCode: loose });
  t.is(again.status, 400);
  const state = await call(f.url, 'GET', '/auth/two-factor', { token: account.accessToken });
  t.is(state.body['recoveryCodesLeft'], 9);
});

test('a completed step token cannot be used again: 401 used', async (t) => {
  const ip = nextIp();
  const { account, step } = await atSecondFactor(f.url, ip);
  t.is((await secondFactor(f.url, ip, { step_token: step, recoveryCode: account.recoveryCodes[1] })).status, 200);
  const again = await secondFactor(f.url, ip, { step_token: step, recoveryCode: account.recoveryCodes[2] });
  t.is(again.status, 401);
  t.is(again.body['type'], `${STEP}used`);
});

test('an expired step token is refused: 401 expired', async (t) => {
  const ip = nextIp();
  const { account, step } = await atSecondFactor(f.url, ip);
  await sql(`UPDATE login_steps SET expires_at = now() - interval '1 second' WHERE id = $1`, [step.split('.')[0]]);
  const response = await secondFactor(f.url, ip, { step_token: step, recoveryCode: account.recoveryCodes[0] });
  t.is(response.status, 401);
  t.is(response.body['type'], `${STEP}expired`);
});

test('a forged or malformed step token is refused: 401 invalid', async (t) => {
  const ip = nextIp();
  const { step } = await atSecondFactor(f.url, ip);
  const forged = `${step.split('.')[0]}.${'A'.repeat(43)}`;
  for (const token of [forged, 'not-a-token', '']) {
    const response = await secondFactor(f.url, ip, { step_token: token, code: '123456' });
    t.is(response.status, 401, token);
    t.is(response.body['type'], `${STEP}invalid`);
  }
});

test('disabling 2FA needs a fresh second factor; with one, logins need only the password again', async (t) => {
  const ip = nextIp();
  const account = await accountWithTotp(f.url, ip);
  const bare = await call(f.url, 'POST', '/auth/two-factor/disable', { token: account.accessToken, body: {} });
  t.is(bare.status, 400);
  t.is(bare.body['type'], `${FACTOR}required`);
  const wrong = await call(f.url, 'POST', '/auth/two-factor/disable', {
    token: account.accessToken,
    body: { code: '000000' },
  });
  t.is(wrong.status, 400);
  t.is(wrong.body['type'], `${FACTOR}wrong`);
  const done = await call(f.url, 'POST', '/auth/two-factor/disable', {
    token: account.accessToken,
    body: { code: totpCode(account.secret, 1) },
  });
  t.is(done.status, 204);
  const plain = await login(f.url, account, ip);
  t.is(plain.status, 200);
  t.truthy(plain.body['access_token']);
  t.is((await sql('SELECT 1 FROM recovery_codes WHERE user_id = $1', [account.userId])).length, 0);
});

test('secondFactorsOf reports each asked user, with or without factors', async (t) => {
  const ip = nextIp();
  const withTotp = await accountWithTotp(f.url, ip);
  const without = await registerAccount(
    f.url,
    ip,
    `none-${randomUUID().slice(0, 8)}@example.org`,
    `no 2fa ${randomUUID()}`,
  );
  const state = await secondFactorsOf(f.service.store.sequelize, [withTotp.userId, without.userId]);
  t.deepEqual(state.get(withTotp.userId), { totp: true, passkeys: 0, recoveryCodesLeft: 10 });
  t.deepEqual(state.get(without.userId), { totp: false, passkeys: 0, recoveryCodesLeft: 0 });
});

test('no TOTP secret, code, recovery code or step token appears in the logs', async (t) => {
  const ip = nextIp();
  const { account, step } = await atSecondFactor(f.url, ip);
  const code = totpCode(account.secret, 1);
  await secondFactor(f.url, ip, { step_token: step, recoveryCode: account.recoveryCodes[3] });
  const logs = f.logs.join('\n');
  t.true(logs.includes(account.userId), 'the flow was logged');
  // A 6-digit code could be part of any timestamp: it is looked for as a JSON string value.
  for (const secret of [account.secret, step, step.split('.')[1]!, `"${code}"`, ...account.recoveryCodes]) {
    t.false(logs.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 4)}…`);
  }
});
