import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CODE, demoTelegram } from '../../services/integration-service/src/demo.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { TelegramError, type TelegramUser } from '../../services/integration-service/src/telegram/port.ts';
import { scratchDir } from '../support/process.ts';
import { startServiceProcess } from '../support/service-process.ts';
import { call, startUserServiceFixture } from '../user-service/fixture.ts';
import { eventually } from './fixture.ts';

const main = fileURLToPath(new URL('../../services/integration-service/src/main.ts', import.meta.url));

test('the fake records a second concurrent connection of one session as a violation and answers AUTH_KEY_DUPLICATED', async (t) => {
  const fake = new FakeTelegram();
  fake.addAccount({ phone: '+4915100000009' });
  const first = await fake.open(undefined);
  const sent = await first.sendCode('+4915100000009');
  await first.signIn('+4915100000009', sent.phoneCodeHash, fake.lastCode('+4915100000009')!);
  const session = first.session();
  t.is(fake.violations, 0);
  const second = await fake.open(session);
  t.is(fake.violations, 1);
  t.is(fake.maxConcurrent, 2);
  const error = await t.throwsAsync(second.getSelf(), { instanceOf: TelegramError });
  t.is(error.kind, 'KeyDuplicated');
});

/** A session signed in to `phone` on `fake` with the demo code, and the user it signed in as. */
async function demoSession(fake: FakeTelegram, phone: string): Promise<{ session: string; user: TelegramUser }> {
  const connection = await fake.open(undefined);
  const sent = await connection.sendCode(phone);
  const user = await connection.signIn(phone, sent.phoneCodeHash, DEMO_CODE);
  const session = connection.session();
  await connection.destroy();
  return { session, user };
}

const refusal = async (fake: FakeTelegram, session: string): Promise<string> => {
  try {
    await (await fake.open(session)).getSelf();
    return 'accepted';
  } catch (error) {
    return error instanceof TelegramError ? error.kind : String(error);
  }
};

test('a demo session signed in on one demo instance is reopened by another, which answers getSelf with the same user', async (t) => {
  const { session, user } = await demoSession(demoTelegram(), '+4915112345671');
  const other = await demoTelegram().open(session);
  t.deepEqual(await other.getSelf(), user);
});

test('a demo session reopened by another demo instance posts to a demo chat it listed before, without listing again', async (t) => {
  const first = demoTelegram();
  const { session } = await demoSession(first, '+4915112345671');
  const listing = await first.open(session);
  const [chat] = await listing.chats();
  await listing.destroy();
  const other = await demoTelegram().open(session);
  const post = { text: 'after a takeover', entities: [], images: [], silent: false, randomIds: ['1'] };
  t.deepEqual(await other.publish(chat!, post), { messageId: 1 });
});

test('a demo session whose phone was altered is refused by another demo instance as revoked', async (t) => {
  const { session } = await demoSession(demoTelegram(), '+4915112345671');
  const altered = session.replace(':4915112345671:', ':4915112345681:');
  t.not(altered, session);
  t.is(await refusal(demoTelegram(), altered), 'SessionRevoked');
});

test('a session string no demo instance signed in is refused by a demo instance as revoked', async (t) => {
  const fake = demoTelegram();
  t.is(await refusal(fake, 'fake1:00000000-0000-4000-8000-000000000000:2'), 'SessionRevoked');
  t.is(await refusal(fake, 'not a session at all'), 'SessionRevoked');
});

test('a demo session logged out stays revoked on the demo instance that logged it out', async (t) => {
  const fake = demoTelegram();
  const { session } = await demoSession(fake, '+4915112345671');
  const connection = await fake.open(session);
  await connection.logOut();
  await connection.destroy();
  t.is(await refusal(fake, session), 'SessionRevoked');
});

test('main.ts with TELEGRAM_MODE=demo and no Vault connects an account with the demo code and stops cleanly on SIGTERM', async (t) => {
  const users = await startUserServiceFixture();
  t.teardown(() => users.stop());
  await users.postgres.query('CREATE DATABASE integrations');
  const service = await startServiceProcess(main, {
    TELEGRAM_MODE: 'demo',
    // Not about issue 18's unverified policy (verified-only.test.ts is): its users register and connect at once.
    UNVERIFIED_MAY_NOT: 'none',
    POD_NAME: 'local-0',
    DATABASE_PORT: String(users.postgres.port),
    DATABASE_USER: users.postgres.user,
    DATABASE_PASSWORD: users.postgres.password,
    VAULT_ADDR: '',
    JWKS_URL: `${users.url}/.well-known/jwks.json`,
    LOCAL_SESSION_KEY_FILE: join(scratchDir('integration-demo'), 'session.key'),
  });
  t.teardown(() => service.stop());
  const registered = await call(users.url, 'POST', '/auth/register', {
    body: { email: 'demo@example.org', password: 'a demo password' },
  });
  const token = (registered.body['session'] as { access_token: string }).access_token;
  const started = await call(service.url, 'POST', '/telegram/logins/phone', { token, body: { phone: '+15550001112' } });
  t.is(started.status, 201);
  const step = await call(service.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
    token,
    body: { code: '12345' },
  });
  t.is(step.body['state'], 'password_required');
  const done = await call(service.url, 'POST', `/telegram/logins/${started.body['loginId']}/password`, {
    token,
    body: { password: 'demo-password' },
  });
  t.is(done.body['state'], 'connected');
  const qr = await call(service.url, 'POST', '/telegram/logins/qr', { token });
  const scanned = await eventually(async () => {
    const polled = await call(service.url, 'GET', `/telegram/logins/${qr.body['loginId']}`, { token });
    return polled.body['state'] === 'connected' && polled;
  }, 15_000);
  t.regex(String(scanned.body['accountId']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await service.process.stop(10_000, 'SIGTERM');
  t.is(await service.process.exited, 0);
});
