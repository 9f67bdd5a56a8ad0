import { randomUUID } from 'node:crypto';
import { HttpProblem } from '@cf/kit';
import { BotApiError } from '../bots/bot-api.ts';
import type { ChannelRow } from '../db/channels.ts';
import { runLimited } from '../ownership/run-limited.ts';
import { resourceName } from '../resources.ts';
import { asTelegramError, type TelegramChat } from '../telegram/port.ts';
import type { ChatAccess } from './chat-access.ts';
import { botChatId } from './links.ts';

/** One bot's standing in a managed channel. */
export interface BotRights {
  botId: string;
  username: string;
  /** creator, administrator, member, left, …; `unknown` when the Bot API did not answer. */
  status: string;
  canPost: boolean;
}

/**
 * The chats a user manages. Discovery and refresh talk to Telegram through the account's connection, so
 * they run on the pod holding that account (the HTTP layer routes them there); the rest is PostgreSQL.
 */
export class Channels {
  private readonly deps: ChatAccess & { maxChannels: number };

  constructor(deps: Channels['deps']) {
    this.deps = deps;
  }

  /** A connected account of the user, or 404 (not theirs) / 409 (not connected). */
  async account(userId: string, accountId: string) {
    const row = await this.deps.store.accounts.of(userId, accountId);
    if (row === undefined) throw HttpProblem.notFound('no such account');
    if (row.state !== 'connected') throw HttpProblem.conflict('the account is not connected');
    return row;
  }

  /** Runs on the account's owner: its chats where it may post (what the user can choose to manage). */
  async available(accountId: string): Promise<TelegramChat[]> {
    const { holder } = this.deps;
    const held = holder.heldOrGone(resourceName('account', accountId));
    const chats = await holder.serialized(held, () => held.conn.chats());
    return chats.filter((chat) => chat.canPost);
  }

  /** Runs on the account's owner: starts managing one of its chats (checked with Telegram now). */
  async manage(userId: string, accountId: string, telegramChatId: string): Promise<ChannelRow> {
    const { store, maxChannels } = this.deps;
    const chat = (await this.available(accountId)).find((candidate) => candidate.id === telegramChatId);
    if (chat === undefined) {
      throw HttpProblem.badRequest('the account may not post in this chat', [
        { field: 'telegramChatId', message: 'not a channel or supergroup where this account may post' },
      ]);
    }
    const row = await store.channels.manage({ id: randomUUID(), userId, accountId, chat, max: maxChannels });
    if (row === undefined) {
      throw new HttpProblem(409, {
        detail: `at most ${maxChannels} channels per user`,
        extensions: { limit: 'channels_per_user', max: maxChannels },
      });
    }
    await store.log.add({ userId, operation: 'channel.manage', outcome: 'ok', accountId });
    return row;
  }

  list(userId: string): Promise<ChannelRow[]> {
    return this.deps.store.channels.ofUser(userId);
  }

  managedOf(userId: string, accountId: string): Promise<ChannelRow[]> {
    return this.deps.store.channels.ofAccount(userId, accountId);
  }

  async get(userId: string, id: string): Promise<ChannelRow> {
    const row = await this.deps.store.channels.get(userId, id);
    if (row === undefined) throw HttpProblem.notFound('no such channel');
    return row;
  }

  /** Runs on the account's owner: title, member count and rights as Telegram says now. */
  async refresh(row: ChannelRow): Promise<ChannelRow> {
    const { holder, store } = this.deps;
    const held = holder.heldOrGone(resourceName('account', row.account_id));
    let chat: TelegramChat | undefined;
    try {
      chat = await holder.serialized(held, () =>
        held.conn.chat({ id: row.telegram_chat_id, accessHash: row.access_hash }),
      );
    } catch (error) {
      const failure = asTelegramError(error);
      if (failure.kind !== 'ChatInvalid') throw failure;
    }
    return (await store.channels.refresh(row.id, chat)) ?? row;
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await this.deps.store.channels.delete(userId, id))) throw HttpProblem.notFound('no such channel');
    await this.deps.store.log.add({ userId, operation: 'channel.remove', outcome: 'ok' });
  }

  /** Each of the user's bots in this channel: admin with post rights or not (Bot API getChatMember). */
  async botRights(row: ChannelRow): Promise<BotRights[]> {
    const { store, cipher, botApi } = this.deps;
    const bots = await store.bots.ofUser(row.user_id);
    if (bots.length === 0) return [];
    const tokens = await cipher.decryptMany(bots.map((bot) => bot.token_ciphertext));
    const rights: BotRights[] = [];
    await runLimited(bots, 5, async (bot, index) => {
      try {
        const member = await botApi.getChatMember(tokens[index]!, botChatId(row.telegram_chat_id), bot.telegram_bot_id);
        rights[index] = { botId: bot.id, username: bot.username, status: member.status, canPost: member.canPost };
      } catch (error) {
        const kind = error instanceof BotApiError ? error.kind : 'Unavailable';
        const status = kind === 'ChatNotFound' || kind === 'Forbidden' ? 'left' : 'unknown';
        rights[index] = { botId: bot.id, username: bot.username, status, canPost: false };
      }
    });
    return rights;
  }
}
