import test from 'ava';
import { DEMO_CODE, DEMO_PASSWORD } from '../../services/integration-service/src/demo.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { as, integrationFixtureForFile } from './fixture.ts';
import { settled } from './publishing-fixture.ts';

const f = integrationFixtureForFile();

test('in demo mode a newly connected account has demo channels to publish to, through itself and a demo bot', async (t) => {
  const fake = new FakeTelegram({ demo: { code: DEMO_CODE, password: DEMO_PASSWORD, qrScanAfterMs: 60_000 } });
  const one = await f.instance(fake, { TELEGRAM_MODE: 'demo', PUBLISH_CHAT_SPACING_SECONDS: '0' });
  const user = await f.user();
  const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: '+15550001231' });
  const connected = await as(user, one.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
    code: DEMO_CODE,
  });
  const accountId = connected.body['accountId'] as string;
  const available = await as(user, one.url, 'GET', `/telegram/channels/available?accountId=${accountId}`);
  const chats = available.body['chats'] as { telegramChatId: string; title: string }[];
  t.deepEqual(chats.map((chat) => chat.title).sort(), ['Demo discussion', 'Demo news', 'Demo private notes']);
  const channel = await as(user, one.url, 'POST', '/telegram/channels', {
    accountId,
    telegramChatId: chats.find((chat) => chat.title === 'Demo news')?.telegramChatId,
  });
  const bot = await as(user, one.url, 'POST', '/telegram/bots', { token: `123456789:${'D'.repeat(35)}` });
  t.is(bot.status, 201);
  const post = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Hello from the demo',
    scheduledAt: new Date(Date.now() + 1000).toISOString(),
    targets: [
      { channelId: channel.body['id'], via: 'account' },
      { channelId: channel.body['id'], via: 'bot', botId: bot.body['id'] },
    ],
  });
  const targets = await settled(user, one, post.body['id'] as string, (ts) => ts.every((x) => x.state === 'sent'));
  t.true(targets.every((target) => target.link?.startsWith('https://t.me/demo_news_')));
});
