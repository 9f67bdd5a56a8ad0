import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { TelegramError } from '../../services/integration-service/src/telegram/port.ts';
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
