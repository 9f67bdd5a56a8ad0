import test, { type ExecutionContext } from 'ava';
import { as, fakeBotApiForFile, integrationFixtureForFile } from './fixture.ts';
import { postingBot, settled, twoReplicasWithChannel } from './publishing-fixture.ts';

const f = integrationFixtureForFile();
const botApi = fakeBotApiForFile();

const SPACING_S = 3;
/** A send leaves a moment after its slot (token decryption, the HTTP call): the slots are `SPACING_S` apart. */
const DEPARTURE_JITTER_MS = 500;

/** Asserts `count` arrivals (epoch ms, any order), each at least the spacing after the one before, less jitter. */
function assertPaced(t: ExecutionContext, arrivals: number[], count: number): void {
  const sorted = [...arrivals].sort((a, b) => a - b);
  t.is(sorted.length, count, 'each post sent once');
  const gaps = sorted.slice(1).map((at, index) => at - sorted[index]!);
  t.true(
    gaps.every((gap) => gap >= SPACING_S * 1000 - DEPARTURE_JITTER_MS),
    `sends ${SPACING_S} s apart, got gaps ${gaps.join(', ')} ms`,
  );
}

test.serial('a paced chat gets at most one send per 3 s when two replicas send to it', async (t) => {
  const env = { BOT_API_ROOT: botApi.url, PUBLISH_CHAT_SPACING_SECONDS: String(SPACING_S) };
  const { one, two, user, channel } = await twoReplicasWithChannel(f, t, env);
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
  assertPaced(
    t,
    botApi.messages(channel.botChatId).map((message) => message.at),
    4,
  );
});

test.serial(
  'account sends claimed by a replica that does not hold the account are paced there and sent by the owner',
  async (t) => {
    const env = { PUBLISH_CHAT_SPACING_SECONDS: String(SPACING_S) };
    const { fake, one, two, user, account, channel } = await twoReplicasWithChannel(f, t, env);
    t.true(one.service.ownership.holds(`account:${account.accountId}`));
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
    assertPaced(
      t,
      fake.channels.messages(channel.chatId).map((message) => message.at),
      3,
    );
  },
);
