import { randomInt } from 'node:crypto';
import type { FakeBotApi } from '../../services/integration-service/src/bots/fake-bot-api.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { as, eventually, type Instance, type IntegrationFixture, type TeardownScope, type User } from './fixture.ts';

/** A fresh phone number for the fake. */
export const phone = (): string => `+1555${randomInt(1_000_000, 9_999_999)}`;

/** Connects a new fake account of `user` through a phone login on `on`; its id and number. */
export async function connectAccount(
  fake: FakeTelegram,
  user: User,
  on: Instance,
): Promise<{ accountId: string; number: string }> {
  const number = phone();
  fake.addAccount({ phone: number });
  const started = await as(user, on.url, 'POST', '/telegram/logins/phone', { phone: number });
  if (started.status !== 201) throw new Error(`phone login: ${started.status} ${JSON.stringify(started.body)}`);
  const done = await as(user, on.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
    code: fake.lastCode(number),
  });
  if (done.status !== 200) throw new Error(`connect: ${done.status} ${JSON.stringify(done.body)}`);
  return { accountId: done.body['accountId'] as string, number };
}

/** A new user with an account connected through `on` (a phone login) and a channel that account may post in. */
export async function userWithChannel(f: IntegrationFixture, fake: FakeTelegram, on: Instance) {
  const user = await f.user();
  const account = await connectAccount(fake, user, on);
  const channel = await managedChannel(fake, user, on, account);
  return { user, account, channel };
}

/**
 * Two replicas with the same `env` on one fake Telegram, closed when the test of `scope` ends, and a user whose new
 * account was connected through the first (which therefore holds its lease) with a channel it manages.
 */
export async function twoReplicasWithChannel(f: IntegrationFixture, scope: TeardownScope, env: Record<string, string>) {
  const fake = new FakeTelegram();
  const one = await f.instance(fake, env, scope);
  const two = await f.instance(fake, env, scope);
  return { fake, one, two, ...(await userWithChannel(f, fake, one)) };
}

/** A fake channel where the account of `number` may post, managed by `user`; the channel row's id. */
export async function managedChannel(
  fake: FakeTelegram,
  user: User,
  on: Instance,
  account: { accountId: string; number: string },
  script: { title?: string; username?: string } = {},
): Promise<{ id: string; chatId: string; botChatId: string }> {
  const chat = fake.addChannel(
    { title: script.title ?? `News ${randomInt(1000)}`, ...script },
    {
      [account.number]: 'poster',
    },
  );
  const managed = await as(user, on.url, 'POST', '/telegram/channels', {
    accountId: account.accountId,
    telegramChatId: chat.id,
  });
  if (managed.status !== 201) throw new Error(`manage: ${managed.status} ${JSON.stringify(managed.body)}`);
  return { id: managed.body['id'] as string, chatId: chat.id, botChatId: chat.botChatId };
}

/** Adds a bot of `user` that is an admin allowed to post in each of `botChatIds`. */
export async function postingBot(
  f: IntegrationFixture,
  botApi: FakeBotApi,
  user: User,
  on: Instance,
  botChatIds: string[],
): Promise<{ id: string; token: string }> {
  const telegramId = randomInt(100_000, 999_999_999);
  const token = botApi.addBot({ id: telegramId, username: `post_${telegramId}_bot` });
  f.secrets.add(token);
  for (const chatId of botChatIds) botApi.setMember(telegramId, chatId, 'administrator', true);
  const added = await as(user, on.url, 'POST', '/telegram/bots', { token });
  if (added.status !== 201) throw new Error(`bot: ${added.status}`);
  return { id: added.body['id'] as string, token };
}

export interface TargetView {
  id: string;
  state: string;
  link: string | null;
  messageId: number | null;
  failure: string | null;
  sentAt: string | null;
  dueAt: string;
  via: string;
}

/** Waits until every target of the post is settled as `states` allow; the post as then read. */
export async function settled(
  user: User,
  on: Instance,
  postId: string,
  done: (targets: TargetView[]) => boolean,
  timeoutMs = 20_000,
): Promise<TargetView[]> {
  let last: TargetView[] | undefined;
  try {
    return await eventually(async () => {
      const post = await as(user, on.url, 'GET', `/telegram/posts/${postId}`);
      last = post.body['targets'] as TargetView[] | undefined;
      return last !== undefined && done(last) ? last : undefined;
    }, timeoutMs);
  } catch (error) {
    // Which state the targets were stuck in is what a failure report needs first.
    const states = (last ?? []).map((target) => `${target.state}${target.failure ? ` (${target.failure})` : ''}`);
    throw new Error(`post ${postId} not settled within ${timeoutMs} ms; its targets: ${states.join(', ')}`, {
      cause: error,
    });
  }
}
