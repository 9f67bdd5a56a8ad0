import test from 'ava';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { as, integrationFixtureForFile } from './fixture.ts';
import { connectAccount, managedChannel, settled, userWithChannel } from './publishing-fixture.ts';

// Every replica of this file polls the queue once a minute: a send that happens sooner was woken, not polled.
const POLL_SECONDS = 60;

const f = integrationFixtureForFile();
const fake = new FakeTelegram();
const one = fileFixture(() =>
  f.instance(fake, { PUBLISH_POLL_SECONDS: String(POLL_SECONDS), PUBLISH_CHAT_SPACING_SECONDS: '3' }),
);

const sent = (targets: { state: string }[]): boolean => targets.every((target) => target.state === 'sent');

test.serial('a post due now is sent without waiting for the queue’s next poll', async (t) => {
  const { user, channel } = await userWithChannel(f, fake, one);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Right away',
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  t.is(created.status, 201);
  // The poll is a minute away; waiting well under that proves the insert woke the worker.
  const [target] = await settled(user, one, created.body['id'] as string, sent, (POLL_SECONDS / 3) * 1000);
  t.is(target?.state, 'sent');
  t.deepEqual(
    fake.channels.messages(channel.chatId).map((message) => message.text),
    ['Right away'],
  );
});

test.serial(
  'posts scheduled ahead and paced into later slots are each sent at their slot, not at a poll',
  async (t) => {
    const user = await f.user();
    const account = await connectAccount(fake, user, one);
    const channel = await managedChannel(fake, user, one, account);
    const at = new Date(Date.now() + 1500);
    const created = [];
    for (const text of ['first', 'second', 'third']) {
      created.push(
        await as(user, one.url, 'POST', '/telegram/posts', {
          text,
          scheduledAt: at.toISOString(),
          targets: [{ channelId: channel.id, via: 'account' }],
        }),
      );
    }
    for (const post of created) {
      await settled(user, one, post.body['id'] as string, sent, (POLL_SECONDS / 3) * 1000);
    }
    const messages = fake.channels.messages(channel.chatId);
    t.deepEqual(messages.map((message) => message.text).sort(), ['first', 'second', 'third']);
    t.true(
      messages.every((message) => message.at >= at.getTime()),
      'none before its time',
    );
  },
);
