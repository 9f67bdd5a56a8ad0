import test from 'ava';
import { as, eventually, integrationFixtureForFile } from './fixture.ts';
import { settled, twoReplicasWithChannel } from './publishing-fixture.ts';

const f = integrationFixtureForFile();

const common = {
  PUBLISH_JOB_EXPIRE_SECONDS: '2',
  // Ends the hung send on the dead owner soon after the test is done with it; long enough that a loaded machine's
  // ordinary calls (the phone login that connects the account) are not cut short (1 s was not).
  TELEGRAM_CALL_TIMEOUT_SECONDS: '5',
};

const ownerDiesMidSend = test.macro(async (t, spacingSeconds: number) => {
  const env = { ...common, PUBLISH_CHAT_SPACING_SECONDS: String(spacingSeconds) };
  const { fake, one, two, user, account, channel } = await twoReplicasWithChannel(f, t, env);
  t.true(one.service.ownership.holds(`account:${account.accountId}`));
  // The send reaches Telegram, which posts it; its answer never comes back: the owner dies waiting.
  fake.channels.hangNextSends(1);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Exactly once',
    targets: [{ channelId: channel.id, via: 'account' }],
  });
  t.is(created.status, 201);
  await eventually(async () => fake.channels.messages(channel.chatId).length === 1);
  await one.service.crash();
  const [target] = await settled(
    user,
    two,
    created.body['id'] as string,
    (ts) => ts[0]?.state === 'sent',
    30_000,
  ).catch((error: unknown) => {
    // The survivor's warnings and the ownership steps say where a takeover stalled.
    t.log(
      two.logs
        .filter((line) => !line.includes('"msg":"request"'))
        .slice(-40)
        .join('\n'),
    );
    throw error;
  });
  t.true(two.service.ownership.holds(`account:${account.accountId}`));
  const messages = fake.channels.messages(channel.chatId);
  t.is(messages.length, 1, 'the repeat carried the same random_id and Telegram dropped it');
  t.is(target?.messageId, messages[0]?.id);
});

test.serial(
  'the owner dies mid-send: after takeover the post exists exactly once, and is marked sent',
  ownerDiesMidSend,
  0,
);
// The repeat of an interrupted send takes no new pacing slot, also when another replica claims its job.
test.serial(
  'the owner of a paced chat dies mid-send: after takeover the post exists exactly once, and is marked sent',
  ownerDiesMidSend,
  3,
);
