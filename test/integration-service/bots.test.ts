import test from 'ava';
import { randomInt } from 'node:crypto';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { as, fakeBotApiForFile, integrationFixtureForFile, type User } from './fixture.ts';

const f = integrationFixtureForFile();
const botApi = fakeBotApiForFile();
const one = fileFixture(() =>
  f.instance(new FakeTelegram(), {
    BOT_API_ROOT: botApi.url,
    BOT_API_TIMEOUT_SECONDS: '0.5',
    LIMIT_BOTS_PER_USER: '2',
  }),
);

function bot(): { token: string; username: string } {
  const id = randomInt(100_000, 999_999_999);
  const username = `news_${id}_bot`;
  const token = botApi.addBot({ id, username, firstName: 'News' });
  f.secrets.add(token);
  return { token, username };
}

async function add(user: User, token: string, name?: string) {
  return as(user, one.url, 'POST', '/telegram/bots', { token, ...(name !== undefined ? { name } : {}) });
}

test.serial('a bot added by its token is checked with getMe, then listed, renamed and removed', async (t) => {
  const user = await f.user();
  const { token, username } = bot();
  const added = await add(user, token);
  t.is(added.status, 201);
  t.like(added.body, { username, name: 'News' });
  t.is(added.body['token'], undefined);
  t.true(botApi.calls.includes('getMe'));
  const id = added.body['id'] as string;
  const renamed = await as(user, one.url, 'PATCH', `/telegram/bots/${id}`, { name: 'Morning news' });
  t.like(renamed.body, { id, name: 'Morning news' });
  const listed = await as(user, one.url, 'GET', '/telegram/bots');
  t.deepEqual(
    (listed.body['bots'] as { username: string; name: string }[]).map((b) => [b.username, b.name]),
    [[username, 'Morning news']],
  );
  t.is((await as(user, one.url, 'DELETE', `/telegram/bots/${id}`)).status, 204);
  t.deepEqual((await as(user, one.url, 'GET', '/telegram/bots')).body['bots'], []);
  t.deepEqual(await f.sql('SELECT id FROM telegram_bots WHERE id = $1', [id]), []);
  const log = await as(user, one.url, 'GET', '/telegram/logs');
  t.deepEqual(
    (log.body['entries'] as { operation: string }[]).map((entry) => entry.operation),
    ['bot.remove', 'bot.add'],
  );
});

test.serial('a token Telegram does not know is a 400 naming the field, and nothing is stored', async (t) => {
  const user = await f.user();
  const unknown = `123456:AA${'x'.repeat(33)}`;
  const refused = await add(user, unknown);
  t.is(refused.status, 400);
  t.is(refused.body['kind'], 'TokenInvalid');
  t.is((refused.body['errors'] as { field: string }[])[0]?.field, 'token');
  t.deepEqual((await as(user, one.url, 'GET', '/telegram/bots')).body['bots'], []);
});

test.serial('a malformed token is a 400 without any Bot API call', async (t) => {
  const user = await f.user();
  const calls = botApi.calls.length;
  const refused = await add(user, 'not a token');
  t.is(refused.status, 400);
  t.is(botApi.calls.length, calls);
});

test.serial("user B cannot see, rename or remove user A's bot", async (t) => {
  const [a, b] = [await f.user(), await f.user()];
  const id = (await add(a, bot().token)).body['id'] as string;
  t.deepEqual((await as(b, one.url, 'GET', '/telegram/bots')).body['bots'], []);
  t.is((await as(b, one.url, 'PATCH', `/telegram/bots/${id}`, { name: 'mine now' })).status, 404);
  t.is((await as(b, one.url, 'DELETE', `/telegram/bots/${id}`)).status, 404);
  t.is(((await as(a, one.url, 'GET', '/telegram/bots')).body['bots'] as unknown[]).length, 1);
});

test.serial(
  'a third bot is refused with 409 (bots per user), adding the same bot again is not a new one',
  async (t) => {
    const user = await f.user();
    const first = bot();
    t.is((await add(user, first.token)).status, 201);
    t.is((await add(user, bot().token)).status, 201);
    t.is((await add(user, first.token)).status, 201);
    const third = await add(user, bot().token);
    t.is(third.status, 409);
    t.like(third.body, { limit: 'bots_per_user', cap: 2 });
  },
);

test.serial('a Bot API that does not answer gives 504 with Retry-After at the deadline', async (t) => {
  const user = await f.user();
  const { token } = bot();
  botApi.stopAnswering(token);
  const started = Date.now();
  const response = await add(user, token);
  t.true(Date.now() - started < 3000);
  t.is(response.status, 504);
  t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
});

test.serial('an unreachable Bot API gives 503 with Retry-After', async (t) => {
  const cut = await f.instance(new FakeTelegram(), { BOT_API_ROOT: 'http://127.0.0.1:9' }, t);
  const user = await f.user();
  const response = await as(user, cut.url, 'POST', '/telegram/bots', { token: bot().token });
  t.is(response.status, 503);
  t.regex(response.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/, 'Retry-After in whole seconds');
});

test.serial('bot tokens are never in PostgreSQL in clear, in the logs or in the metrics', async (t) => {
  const user = await f.user();
  t.is((await add(user, bot().token)).status, 201);
  const dump =
    JSON.stringify(await f.sql('SELECT * FROM telegram_bots')) +
    JSON.stringify(await f.sql('SELECT * FROM integration_log'));
  const stored = await f.sql<{ token_ciphertext: string }>('SELECT token_ciphertext FROM telegram_bots');
  t.true(stored.length > 0);
  for (const row of stored) t.regex(row.token_ciphertext, /^vault:v\d+:/);
  const metrics = await (await fetch(`${one.url}/metrics`)).text();
  const logs = f.logs.join('\n');
  for (const secret of f.secrets) {
    t.false(dump.includes(secret), 'a token is in PostgreSQL');
    t.false(logs.includes(secret), 'a token is in the logs');
    t.false(metrics.includes(secret), 'a token is in the metrics');
  }
});

test.serial('in demo mode a well-formed token is a bot of the built-in fake Bot API (no network)', async (t) => {
  const demo = await f.instance(new FakeTelegram(), { TELEGRAM_MODE: 'demo' }, t);
  const user = await f.user();
  const token = `555000111:AA${'d'.repeat(33)}`;
  f.secrets.add(token);
  const added = await as(user, demo.url, 'POST', '/telegram/bots', { token });
  t.is(added.status, 201);
  t.like(added.body, { telegramBotId: '555000111', username: 'demo_555000111_bot' });
});
