import test from 'ava';
import { randomUUID } from 'node:crypto';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { Captcha } from '../../services/user-service/src/captcha/captcha.ts';
import { addresses, call, localSmtpEnv, userServiceFixtureForFile } from './fixture.ts';

// Issue 18: registration and reset requests need a solved ALTCHA proof of work, each answer accepted once.
const f = userServiceFixtureForFile({
  CAPTCHA_REQUIRED: 'true',
  // Cheap for the tests; the production price is measured in bench/account-security.ts.
  CAPTCHA_COST: '10',
  CAPTCHA_COUNTER_MAX: '200',
  CAPTCHA_FREE_PER_WINDOW: '2',
  // Mail is configured (the reset route exists) but goes nowhere: these tests read no mail.
  ...localSmtpEnv(9),
  REGISTER_LIMIT_PER_IP: '1000',
});
const freshIp = addresses('10.8');
const PROBLEM = 'https://content-factory.local/problems/captcha/';

async function fetchChallenge(ip: string): Promise<Challenge> {
  const response = await call(f.url, 'GET', '/auth/captcha', { ip });
  if (response.status !== 200) throw new Error(`captcha: ${response.status}`);
  return response.body as unknown as Challenge;
}

async function solve(challenge: Challenge): Promise<{ answer: string; counter: number }> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (solution === null) throw new Error('unsolvable challenge');
  const answer = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  return { answer, counter: solution.counter };
}

function register(captcha: string | undefined, ip = freshIp()) {
  const body = { email: `c-${randomUUID().slice(0, 8)}@example.org`, password: `captcha ${randomUUID()}` };
  return call(f.url, 'POST', '/auth/register', { body: captcha === undefined ? body : { ...body, captcha }, ip });
}

test('registration without a captcha answer is a 400 naming it', async (t) => {
  const response = await register(undefined);
  t.is(response.status, 400);
  t.is(response.body['type'], `${PROBLEM}missing`);
});

test('a solved challenge lets registration through', async (t) => {
  const ip = freshIp();
  const { answer } = await solve(await fetchChallenge(ip));
  t.is((await register(answer, ip)).status, 201);
});

test('an answer is accepted once', async (t) => {
  const ip = freshIp();
  const { answer } = await solve(await fetchChallenge(ip));
  t.is((await register(answer, ip)).status, 201);
  const again = await register(answer, ip);
  t.is(again.status, 400);
  t.is(again.body['type'], `${PROBLEM}replayed`);
});

test('a tampered answer or a re-signed challenge is refused as forged', async (t) => {
  const ip = freshIp();
  const challenge = await fetchChallenge(ip);
  const solution = (await solveChallenge({ challenge, deriveKey }))!;
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
  // The derived key is the proof (its HMAC is signed in the challenge); any other key is a guess.
  const flipped = `${solution.derivedKey.slice(0, -1)}${solution.derivedKey.endsWith('0') ? '1' : '0'}`;
  const wrongKey = encode({ challenge, solution: { ...solution, derivedKey: flipped } });
  const cheaper = encode({ challenge: { ...challenge, parameters: { ...challenge.parameters, cost: 1 } }, solution });
  const foreignKid = encode({
    challenge: { ...challenge, parameters: { ...challenge.parameters, data: { kid: 'not-a-key' } } },
    solution,
  });
  for (const answer of [wrongKey, cheaper, foreignKid]) {
    const response = await register(answer, ip);
    t.is(response.status, 400);
    t.is(response.body['type'], `${PROBLEM}forged`);
  }
  for (const junk of ['%%%', Buffer.from('{"challenge":1}').toString('base64'), 'x'.repeat(8192)]) {
    const response = await register(junk, ip);
    t.is(response.status, 400);
    t.is(response.body['type'], `${PROBLEM}malformed`);
  }
});

test('an expired challenge is refused as expired', async (t) => {
  // Issued with the service's own keys and a one-second life, as a replica with that setting would.
  const short = new Captcha(f.service.store.sequelize, f.service.keys, {
    cost: 10,
    counterMax: 50,
    ttlSeconds: 1,
    freePerWindow: 100,
  });
  const { answer } = await solve(await short.challenge(freshIp()));
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const response = await register(answer);
  t.is(response.status, 400);
  t.is(response.body['type'], `${PROBLEM}expired`);
});

test('a password-reset request needs a solved captcha too', async (t) => {
  const ip = freshIp();
  const missing = await call(f.url, 'POST', '/auth/password-reset', { body: { email: 'a@example.org' }, ip });
  t.is(missing.status, 400);
  t.is(missing.body['type'], `${PROBLEM}missing`);
});

test('an address that keeps fetching challenges gets dearer ones', async (t) => {
  const ip = freshIp();
  const first = await solve(await fetchChallenge(ip));
  for (let i = 0; i < 12; i++) await fetchChallenge(ip);
  const later = await solve(await fetchChallenge(ip));
  // Counters are drawn from [max/2, max]: 200 at first, 16 × 200 once the address is well over its free fetches.
  t.true(first.counter <= 200, String(first.counter));
  t.true(later.counter >= 1600, String(later.counter));
});
