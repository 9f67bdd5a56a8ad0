import test from 'ava';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { as, startIntegrationFixture, type Instance, type IntegrationFixture } from './fixture.ts';

let f: IntegrationFixture;
let fake: FakeTelegram;
let quiet: Instance;
const statements: string[] = [];

test.before(async () => {
  f = await startIntegrationFixture();
  fake = new FakeTelegram();
  // Background loops far apart, so only the request's own statements are counted.
  quiet = await f.instance(fake, {
    LEASE_TTL_SECONDS: '120',
    RECONCILE_INTERVAL_SECONDS: '120',
    HEALTH_INTERVAL_SECONDS: '600',
  });
  quiet.service.store.sequelize.addHook('afterQuery', (_options, query) => {
    statements.push(String((query as { sql?: string }).sql ?? ''));
  });
});

test.after.always(async () => {
  await f?.stop();
});

/** The statements `request` sent to PostgreSQL. */
async function counted<T>(request: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  await quiet.service.ownership.reconcile();
  statements.length = 0;
  const result = await request();
  return { result, sql: [...statements] };
}

const readsOfLogins = (sql: string[]): number =>
  sql.filter((statement) => /^\s*SELECT \* FROM telegram_logins/.test(statement)).length;

test.serial('starting a phone login never reads back the login it just wrote', async (t) => {
  const user = await f.user();
  fake.addAccount({ phone: '+4915100000321' });
  const { result, sql } = await counted(() =>
    as(user, quiet.url, 'POST', '/telegram/logins/phone', { phone: '+4915100000321' }),
  );
  t.is(result.status, 201);
  t.log(`POST /telegram/logins/phone: ${sql.length} database round trips`);
  t.is(readsOfLogins(sql), 0);
});

test.serial('submitting the code reads the login row once', async (t) => {
  const user = await f.user();
  fake.addAccount({ phone: '+4915100000322' });
  const started = await as(user, quiet.url, 'POST', '/telegram/logins/phone', { phone: '+4915100000322' });
  const { result, sql } = await counted(() =>
    as(user, quiet.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
      code: fake.lastCode('+4915100000322'),
    }),
  );
  t.is(result.body['state'], 'connected');
  t.log(`POST /telegram/logins/:id/code: ${sql.length} database round trips`);
  t.is(readsOfLogins(sql), 1);
});
