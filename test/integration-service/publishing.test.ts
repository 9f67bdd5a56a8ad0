import test from 'ava';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { as, fakeBotApiForFile, integrationFixtureForFile } from './fixture.ts';
import { connectAccount, managedChannel, postingBot, settled, userWithChannel } from './publishing-fixture.ts';

const f = integrationFixtureForFile();
const botApi = fakeBotApiForFile();
const fake = new FakeTelegram();
const one = fileFixture(() =>
  f.instance(fake, {
    BOT_API_ROOT: botApi.url,
    BOT_API_TIMEOUT_SECONDS: '2',
    PUBLISH_CHAT_SPACING_SECONDS: '0',
    LIMIT_PENDING_IMAGES_PER_USER: '12',
  }),
);

const sentAll = (targets: { state: string }[]): boolean => targets.every((target) => target.state === 'sent');

test.serial('the chats an account may post in are listed; the user manages one and sees it', async (t) => {
  const user = await f.user();
  const account = await connectAccount(fake, user, one);
  const postable = fake.addChannel({ title: 'Morning news', username: 'morning_news' }, { [account.number]: 'poster' });
  fake.addChannel({ title: 'Only reading here' }, { [account.number]: 'member' });
  const group = fake.addChannel({ title: 'Our chat', kind: 'supergroup' }, { [account.number]: 'admin' });
  const available = await as(user, one.url, 'GET', `/telegram/channels/available?accountId=${account.accountId}`);
  t.is(available.status, 200);
  const chats = available.body['chats'] as { telegramChatId: string; title: string; managed: boolean }[];
  t.deepEqual(chats.map((chat) => chat.telegramChatId).sort(), [postable.id, group.id].sort());
  const managed = await as(user, one.url, 'POST', '/telegram/channels', {
    accountId: account.accountId,
    telegramChatId: postable.id,
  });
  t.is(managed.status, 201);
  t.like(managed.body, { title: 'Morning news', username: 'morning_news', state: 'ok', kind: 'channel' });
  t.is(managed.body['accessHash'], undefined);
  const listed = await as(user, one.url, 'GET', '/telegram/channels');
  t.deepEqual(
    (listed.body['channels'] as { id: string }[]).map((c) => c.id),
    [managed.body['id']],
  );
});

test.serial('a chat the account may not post in cannot be managed (400)', async (t) => {
  const user = await f.user();
  const account = await connectAccount(fake, user, one);
  const reading = fake.addChannel({ title: 'Reading only' }, { [account.number]: 'member' });
  const refused = await as(user, one.url, 'POST', '/telegram/channels', {
    accountId: account.accountId,
    telegramChatId: reading.id,
  });
  t.is(refused.status, 400);
});

test.serial('after rights are removed, a refresh shows the channel as rights_removed', async (t) => {
  const user = await f.user();
  const account = await connectAccount(fake, user, one);
  const channel = await managedChannel(fake, user, one, account, { title: 'Old title' });
  fake.channels.rename(channel.chatId, 'New title');
  fake.setMembership(channel.chatId, account.number, 'member');
  const refreshed = await as(user, one.url, 'POST', `/telegram/channels/${channel.id}/refresh`);
  t.is(refreshed.status, 200);
  t.like(refreshed.body, { title: 'New title', state: 'rights_removed' });
});

test.serial('each bot shows whether it is an admin allowed to post in a channel', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  const admin = await postingBot(f, botApi, user, one, [channel.botChatId]);
  const outsider = await postingBot(f, botApi, user, one, []);
  const rights = await as(user, one.url, 'GET', `/telegram/channels/${channel.id}/bots`);
  t.is(rights.status, 200);
  const byId = new Map((rights.body['bots'] as { botId: string; canPost: boolean }[]).map((b) => [b.botId, b.canPost]));
  t.true(byId.get(admin.id));
  t.false(byId.get(outsider.id));
});

test.serial('a post scheduled 2 s ahead is sent once, at its time', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  const at = new Date(Date.now() + 2000);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Hello, world',
    entities: [{ type: 'bold', offset: 0, length: 5 }],
    scheduledAt: at.toISOString(),
    timeZone: 'Europe/Berlin',
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  t.is(created.status, 201);
  t.is((created.body['targets'] as { state: string }[])[0]?.state, 'scheduled');
  const [target] = await settled(user, one, created.body['id'] as string, sentAll);
  const messages = fake.channels.messages(channel.chatId);
  t.is(messages.length, 1);
  t.is(messages[0]?.text, 'Hello, world');
  t.true(messages[0]!.at >= at.getTime(), 'not before its time');
  t.true(messages[0]!.at < at.getTime() + 3000, 'within the poll and load margin of its time');
  t.is(target?.link, `https://t.me/c/${channel.chatId}/${messages[0]?.id}`);
});

test.serial('three targets, two through accounts and one through a bot, each end sent with a link', async (t) => {
  const user = await f.user();
  const first = await connectAccount(fake, user, one);
  const second = await connectAccount(fake, user, one);
  const a = await managedChannel(fake, user, one, first, { username: 'first_channel' });
  const b = await managedChannel(fake, user, one, second);
  const bot = await postingBot(f, botApi, user, one, [a.botChatId]);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'To everyone',
    targets: [
      { channelId: a.id, via: 'account' },
      { channelId: b.id, via: 'account' },
      { channelId: a.id, via: 'bot', botId: bot.id },
    ],
  });
  t.is(created.status, 201);
  const targets = await settled(user, one, created.body['id'] as string, sentAll);
  t.is(targets.length, 3);
  for (const target of targets) t.regex(target.link ?? '', /^https:\/\/t\.me\/(first_channel|c\/\d+)\/\d+$/);
  t.is(fake.channels.messages(a.chatId).length, 1);
  t.is(fake.channels.messages(b.chatId).length, 1);
  t.deepEqual(
    botApi.messages(a.botChatId).map((message) => message.text),
    ['To everyone'],
  );
});

test.serial('a flood wait reschedules the target after the wait, and it is then sent', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  fake.channels.floodNext(channel.chatId, 2);
  const started = Date.now();
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'After the wait',
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  t.is(created.status, 201);
  await settled(user, one, created.body['id'] as string, sentAll);
  const messages = fake.channels.messages(channel.chatId);
  t.is(messages.length, 1);
  t.true(messages[0]!.at - started >= 2000, 'sent only after the 2 s wait');
});

test.serial('a bot send whose answer never arrives is marked unknown and never sent again', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  const bot = await postingBot(f, botApi, user, one, [channel.botChatId]);
  botApi.hangNextSends(1);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Did it arrive?',
    targets: [{ channelId: channel.id, via: 'bot', botId: bot.id }],
  });
  const [target] = await settled(user, one, created.body['id'] as string, (ts) => ts[0]?.state === 'unknown');
  t.is(target?.failure, 'unknown — check the channel');
  t.is(botApi.messages(channel.botChatId).length, 1);
});

test.serial('a sent post can be neither edited nor cancelled (409); a scheduled one can', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  const sent = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Now',
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  await settled(user, one, sent.body['id'] as string, sentAll);
  t.is((await as(user, one.url, 'PATCH', `/telegram/posts/${sent.body['id']}`, { text: 'Changed' })).status, 409);
  t.is((await as(user, one.url, 'DELETE', `/telegram/posts/${sent.body['id']}`)).status, 409);
  const later = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Later',
    scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  const edited = await as(user, one.url, 'PATCH', `/telegram/posts/${later.body['id']}`, { text: 'Later, edited' });
  t.is(edited.status, 200);
  t.is(edited.body['text'], 'Later, edited');
  t.is((await as(user, one.url, 'DELETE', `/telegram/posts/${later.body['id']}`)).status, 204);
  const cancelled = await as(user, one.url, 'GET', `/telegram/posts/${later.body['id']}`);
  t.is((cancelled.body['targets'] as { state: string }[])[0]?.state, 'cancelled');
});

test.serial('an image over 10 MB is refused with 413, and so is an eleventh image', async (t) => {
  const user = await f.user();
  const big = await as(user, one.url, 'POST', '/telegram/posts/images', {
    mimeType: 'image/jpeg',
    data: Buffer.alloc(10 * 1024 * 1024 + 1, 7).toString('base64'),
  });
  t.is(big.status, 413);
  const ids: string[] = [];
  for (let i = 0; i < 11; i += 1) {
    const image = await as(user, one.url, 'POST', '/telegram/posts/images', {
      mimeType: 'image/png',
      data: Buffer.from(`png ${i}`).toString('base64'),
    });
    t.is(image.status, 201);
    ids.push(image.body['id'] as string);
  }
  const account = await connectAccount(fake, user, one);
  const channel = await managedChannel(fake, user, one, account);
  const eleven = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Too many',
    imageIds: ids,
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  t.is(eleven.status, 413);
  const album = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'An album',
    imageIds: ids.slice(0, 3),
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  t.is(album.status, 201);
  await settled(user, one, album.body['id'] as string, sentAll);
  t.is(fake.channels.messages(channel.chatId)[0]?.images, 3);
});

test.serial('another user’s channels, posts, images and targets answer 404 on every publishing route', async (t) => {
  const owner = await f.user();
  const intruder = await f.user();
  const account = await connectAccount(fake, owner, one);
  const channel = await managedChannel(fake, owner, one, account);
  const image = await as(owner, one.url, 'POST', '/telegram/posts/images', {
    mimeType: 'image/png',
    data: Buffer.from('png').toString('base64'),
  });
  const post = await as(owner, one.url, 'POST', '/telegram/posts', {
    text: 'Mine',
    scheduledAt: new Date(Date.now() + 3_600_000).toISOString(),
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  const postId = post.body['id'] as string;
  const targetId = (post.body['targets'] as { id: string }[])[0]?.id;
  const attempts: [string, string, unknown?][] = [
    ['GET', `/telegram/channels/available?accountId=${account.accountId}`],
    ['POST', '/telegram/channels', { accountId: account.accountId, telegramChatId: channel.chatId }],
    ['GET', `/telegram/channels/${channel.id}`],
    ['POST', `/telegram/channels/${channel.id}/refresh`],
    ['GET', `/telegram/channels/${channel.id}/bots`],
    ['DELETE', `/telegram/channels/${channel.id}`],
    ['GET', `/telegram/posts/${postId}`],
    ['PATCH', `/telegram/posts/${postId}`, { text: 'Theirs now' }],
    ['DELETE', `/telegram/posts/${postId}`],
    ['POST', `/telegram/posts/${postId}/targets/${targetId}/retry`],
    ['POST', '/telegram/posts', { text: 'x', targets: [{ channelId: channel.id, via: 'account' }] }],
    [
      'POST',
      '/telegram/posts',
      { text: 'x', imageIds: [image.body['id']], targets: [{ channelId: channel.id, via: 'account' }] },
    ],
  ];
  for (const [method, path, body] of attempts) {
    const answer = await as(intruder, one.url, method, path, body);
    t.is(answer.status, 404, `${method} ${path}`);
  }
  t.deepEqual((await as(intruder, one.url, 'GET', '/telegram/channels')).body['channels'], []);
  t.deepEqual((await as(intruder, one.url, 'GET', '/telegram/posts')).body['posts'], []);
  const still = await as(owner, one.url, 'GET', `/telegram/posts/${postId}`);
  t.is(still.body['text'], 'Mine');
});

test.serial('bot tokens appear in no database row, log line or metric', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  const bot = await postingBot(f, botApi, user, one, [channel.botChatId]);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Via the bot',
    targets: [{ channelId: channel.id, via: 'bot', botId: bot.id }],
  });
  await settled(user, one, created.body['id'] as string, sentAll);
  const tables = await f.sql<{ dump: string }>(
    `SELECT (SELECT coalesce(string_agg(row_to_json(b)::text, ''), '') FROM telegram_bots b)
         || (SELECT coalesce(string_agg(row_to_json(p)::text, ''), '') FROM post_targets p)
         || (SELECT coalesce(string_agg(row_to_json(j)::text, ''), '') FROM pgboss.job j)
         || (SELECT coalesce(string_agg(row_to_json(l)::text, ''), '') FROM integration_log l) AS dump`,
  );
  const metrics = await (await fetch(`${one.url}/metrics`)).text();
  for (const token of f.secrets) {
    t.false((tables[0]?.dump ?? '').includes(token));
    t.false(metrics.includes(token));
    t.false(f.logs.some((line) => line.includes(token)));
  }
  t.regex(metrics, /publishing_attempts_total\{[^}]*via="bot",outcome="sent"/);
});
