import test from 'ava';
import { randomInt } from 'node:crypto';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { as, integrationFixtureForFile, type User } from './fixture.ts';

// Issue 13: Cancel and "Change number" end a pending login at the server, not only in the browser.
const f = integrationFixtureForFile();
const fake = new FakeTelegram();
const one = fileFixture(() => f.instance(fake, { LIMIT_PENDING_LOGINS_PER_USER: '1' }));

function account(): string {
  const number = `+49151${String(randomInt(1_000_000, 9_999_999))}`;
  fake.addAccount({ phone: number, firstName: 'Ada' });
  return number;
}

async function startPhone(user: User): Promise<string> {
  const response = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: account() });
  if (response.status !== 201) throw new Error(`start: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body['loginId'] as string;
}

test.serial('cancelling a pending login fails it as Cancelled and erases its session', async (t) => {
  const user = await f.user();
  const loginId = await startPhone(user);
  const cancelled = await as(user, one.url, 'DELETE', `/telegram/logins/${loginId}`);
  t.is(cancelled.status, 200);
  t.like(cancelled.body, { loginId, state: 'failed', reason: 'Cancelled', canSubmitCode: false, canResend: false });
  const [row] = await f.sql<{ state: string; session_ciphertext: string | null; phone_code_hash: string | null }>(
    'SELECT state, session_ciphertext, phone_code_hash FROM telegram_logins WHERE id = $1',
    [loginId],
  );
  t.deepEqual(row, { state: 'failed', session_ciphertext: null, phone_code_hash: null });
  t.like((await as(user, one.url, 'GET', `/telegram/logins/${loginId}`)).body, {
    state: 'failed',
    reason: 'Cancelled',
  });
});

test.serial('a cancelled login gives its pending slot back at once, so a new number can start', async (t) => {
  const user = await f.user();
  const first = await startPhone(user);
  const refused = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: account() });
  t.is(refused.status, 429, 'the one pending slot is taken');
  t.is((await as(user, one.url, 'DELETE', `/telegram/logins/${first}`)).status, 200);
  const again = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: account() });
  t.is(again.status, 201);
});

test.serial('cancelling lets the Telegram connection of the login go', async (t) => {
  const user = await f.user();
  const before = fake.openConnections();
  const loginId = await startPhone(user);
  t.is(fake.openConnections(), before + 1);
  await as(user, one.url, 'DELETE', `/telegram/logins/${loginId}`);
  t.is(fake.openConnections(), before);
});

test.serial(
  'a login that is no longer pending cannot be cancelled (409), and another user’s is not found (404)',
  async (t) => {
    const owner = await f.user();
    const other = await f.user();
    const loginId = await startPhone(owner);
    t.is((await as(other, one.url, 'DELETE', `/telegram/logins/${loginId}`)).status, 404);
    t.is((await as(owner, one.url, 'DELETE', `/telegram/logins/${loginId}`)).status, 200);
    const again = await as(owner, one.url, 'DELETE', `/telegram/logins/${loginId}`);
    t.is(again.status, 409);
    t.is(again.headers.get('content-type'), 'application/problem+json');
  },
);
