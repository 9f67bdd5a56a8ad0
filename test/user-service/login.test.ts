import test from 'ava';
import argon2 from 'argon2';
import { createLogger, HttpProblem } from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';
import { RateLimits } from '../../services/user-service/src/rate-limits.ts';
import { call, wrongLogins } from './fixture.ts';
import { userServiceSuite } from './suite.ts';

const { f, secrets, freshIp, register, login, testLogHoldsNoSecrets } = userServiceSuite();

// --- login ---------------------------------------------------------------------------------------

test.serial('login answers one token object and sets the refresh cookie', async (t) => {
  const account = await register();
  const response = await login(account.email, account.password);
  t.is(response.status, 200);
  t.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'token_type']);
  t.is(response.body['token_type'], 'Bearer');
  t.regex(response.refreshCookie ?? '', /^[A-Za-z0-9_-]{40,}$/);
  t.is(response.headers.get('cache-control'), 'no-store');
});

test.serial('non-browser clients can ask for the refresh token in the body', async (t) => {
  const account = await register();
  const response = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password, includeRefreshToken: true },
    ip: freshIp(),
  });
  secrets.add(response.body['refresh_token'] as string);
  secrets.add(response.body['access_token'] as string);
  t.is(typeof response.body['refresh_token'], 'string');
  const refreshed = await call(f.url, 'POST', '/auth/refresh', {
    body: { refresh_token: response.body['refresh_token'] },
    ip: freshIp(),
  });
  t.is(refreshed.status, 200);
  secrets.add(refreshed.body['refresh_token'] as string);
  secrets.add(refreshed.body['access_token'] as string);
});

test.serial('unknown user and wrong password are indistinguishable', async (t) => {
  const account = await register();
  const times = { unknown: [] as number[], wrong: [] as number[] };
  let unknownBody = '';
  let wrongBody = '';
  // Eight interleaved rounds (a median of four swung to 0.41 on a loaded machine), each from a fresh address so the
  // per-address login limit never answers instead.
  for (let round = 0; round < 8; round += 1) {
    const ip = freshIp();
    let started = performance.now();
    const unknown = await call(f.url, 'POST', '/auth/login', {
      body: { email: `nobody-${round}@example.org`, password: 'whatever-it-is' },
      ip,
    });
    times.unknown.push(performance.now() - started);
    started = performance.now();
    const wrong = await call(f.url, 'POST', '/auth/login', {
      body: { email: account.email, password: `wrong-${round}-password` },
      ip: `${ip}9`,
    });
    times.wrong.push(performance.now() - started);
    t.is(unknown.status, 401);
    t.is(wrong.status, 401);
    unknownBody = JSON.stringify(unknown.body);
    wrongBody = JSON.stringify(wrong.body);
  }
  t.is(unknownBody, wrongBody);
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const ratio = median(times.unknown) / median(times.wrong);
  t.true(ratio > 0.5 && ratio < 2, `unknown/wrong timing ratio ${ratio.toFixed(2)}`);
});

test.serial('a disabled user cannot log in', async (t) => {
  const account = await register();
  await f.service.store.updateAdminFields(account.userId, { disabled: true });
  const response = await login(account.email, account.password);
  t.is(response.status, 401);
  t.is(response.body['detail'], 'email or password is incorrect');
});

test.serial('too many logins from one address for one email get 429 with Retry-After', async (t) => {
  const account = await register();
  const ip = freshIp();
  t.deepEqual(await wrongLogins(f.url, account.email, ip, 6), [401, 401, 401, 401, 401, 429]);
  const limited = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password },
    ip,
  });
  t.is(limited.status, 429);
  t.true(Number(limited.headers.get('retry-after')) > 0);
});

test.serial('registrations from one address are limited with 429 and Retry-After, in PostgreSQL', async (t) => {
  const limits = new RateLimits(
    f.service.store.sequelize,
    { loginPerEmailIp: 5, loginPerIp: 5, registerPerIp: 2, windowSeconds: 60 },
    createLogger({ name: 'limits-test', stream: captureLogs().stream }),
  );
  const ip = freshIp();
  await limits.registerAttempt(ip);
  await limits.registerAttempt(ip);
  const refused = await t.throwsAsync(limits.registerAttempt(ip), { instanceOf: HttpProblem });
  t.is(refused?.status, 429);
  t.true(Number(refused?.headers['Retry-After']) >= 1);
  const [row] = (
    await f.service.store.sequelize.query(`SELECT points FROM rate_limits WHERE key = 'register-ip:${ip}'`)
  )[0] as { points: number }[];
  t.is(row?.points, 3, 'the counter lives in the shared database, so every replica sees it');
});

test.serial('a password hashed with older parameters is rehashed at OWASP strength on the next login', async (t) => {
  const account = await register();
  const weak = await argon2.hash(account.password, {
    type: argon2.argon2id,
    memoryCost: 4096,
    timeCost: 1,
    parallelism: 1,
  });
  await f.service.store.setPasswordHash(account.userId, weak);
  t.is((await login(account.email, account.password)).status, 200);
  const stored = (await f.service.store.userById(account.userId))?.password_hash ?? '';
  t.regex(stored, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  t.is((await login(account.email, account.password)).status, 200);
});

test.serial('an attacker elsewhere cannot lock the victim out', async (t) => {
  const account = await register();
  const attacker = freshIp();
  for (let attempt = 0; attempt < 7; attempt += 1) {
    await call(f.url, 'POST', '/auth/login', {
      body: { email: account.email, password: 'guess-guess-guess' },
      ip: attacker,
    });
  }
  t.is((await login(account.email, account.password, freshIp())).status, 200);
});

testLogHoldsNoSecrets();
