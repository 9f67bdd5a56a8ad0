import test from 'ava';
import { startFakeBotApi, type FakeBotApi } from '../../services/integration-service/src/bots/fake-bot-api.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { as, startIntegrationFixture, type IntegrationFixture } from './fixture.ts';
import { connectAccount, managedChannel, postingBot, settled } from './publishing-fixture.ts';

let f: IntegrationFixture;
let botApi: FakeBotApi;

test.before(async () => {
  f = await startIntegrationFixture();
  botApi = await startFakeBotApi();
});

test.after.always(async () => {
  await f?.stop();
  await botApi?.close();
});

const SPACING_S = 3;
/** A send leaves a moment after its slot (token decryption, the HTTP call): the slots are `SPACING_S` apart. */
const DEPARTURE_JITTER_MS = 500;

test.serial('a paced chat gets at most one send per 3 s when two replicas send to it', async (t) => {
  const fake = new FakeTelegram();
  const env = { BOT_API_ROOT: botApi.url, PUBLISH_CHAT_SPACING_SECONDS: String(SPACING_S) };
  const one = await f.instance(fake, env, t);
  const two = await f.instance(fake, env, t);
  const user = await f.user();
  const account = await connectAccount(fake, user, one);
  const channel = await managedChannel(fake, user, one, account);
  const bot = await postingBot(f, botApi, user, one, [channel.botChatId]);
  // Bot sends run on whichever replica claims the job: both replicas take slots of the same chat.
  const created = await Promise.all(
    [one, two, one, two].map((on, index) =>
      as(user, on.url, 'POST', '/telegram/posts', {
        text: `paced ${index}`,
        targets: [{ channelId: channel.id, via: 'bot', botId: bot.id }],
      }),
    ),
  );
  t.deepEqual(
    created.map((c) => c.status),
    [201, 201, 201, 201],
  );
  for (const post of created) {
    await settled(user, one, post.body['id'] as string, (ts) => ts[0]?.state === 'sent', 30_000);
  }
  const arrivals = botApi
    .messages(channel.botChatId)
    .map((message) => message.at)
    .sort((a, b) => a - b);
  t.is(arrivals.length, 4, 'each post sent once');
  const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]!);
  t.true(
    gaps.every((gap) => gap >= SPACING_S * 1000 - DEPARTURE_JITTER_MS),
    `sends ${SPACING_S} s apart, got gaps ${gaps.join(', ')} ms`,
  );
});

test.serial(
  'account sends claimed by a replica that does not hold the account are paced there and sent by the owner',
  async (t) => {
    const fake = new FakeTelegram();
    const env = { PUBLISH_CHAT_SPACING_SECONDS: String(SPACING_S) };
    const one = await f.instance(fake, env, t);
    const two = await f.instance(fake, env, t);
    const user = await f.user();
    const account = await connectAccount(fake, user, one);
    t.true(one.service.ownership.holds(`account:${account.accountId}`));
    const channel = await managedChannel(fake, user, one, account);
    // Created on the replica without the account: it is woken first, takes the slots and forwards.
    const created = [];
    for (const index of [0, 1, 2]) {
      created.push(
        await as(user, two.url, 'POST', '/telegram/posts', {
          text: `forwarded ${index}`,
          targets: [{ channelId: channel.id, via: 'account' }],
        }),
      );
    }
    for (const post of created) {
      await settled(user, one, post.body['id'] as string, (ts) => ts[0]?.state === 'sent', 30_000);
    }
    const arrivals = fake.channels
      .messages(channel.chatId)
      .map((message) => message.at)
      .sort((a, b) => a - b);
    t.is(arrivals.length, 3, 'each post sent once');
    const gaps = arrivals.slice(1).map((at, index) => at - arrivals[index]!);
    t.true(
      gaps.every((gap) => gap >= SPACING_S * 1000 - DEPARTURE_JITTER_MS),
      `sends ${SPACING_S} s apart, got gaps ${gaps.join(', ')} ms`,
    );
  },
);
