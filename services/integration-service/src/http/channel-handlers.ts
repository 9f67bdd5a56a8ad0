import type { Context } from 'koa';
import { z } from 'zod';
import type { ChannelRow } from '../db/channels.ts';
import type { Channels } from '../publishing/channels.ts';
import { resourceName } from '../resources.ts';
import type { TelegramChat } from '../telegram/port.ts';
import { idParam, userOf } from './caller.ts';
import type { ownerRouting } from './owner.ts';

export const AvailableQuery = z.object({ accountId: z.uuid() });
export const ManageBody = z.object({ accountId: z.uuid(), telegramChatId: z.string().regex(/^\d{1,20}$/) });

export const ChannelView = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  telegramChatId: z.string(),
  kind: z.enum(['channel', 'supergroup']),
  title: z.string(),
  username: z.string().nullable(),
  memberCount: z.number().int().nullable(),
  state: z.enum(['ok', 'rights_removed', 'gone']),
  refreshedAt: z.string(),
});
export const AvailableChatView = z.object({
  telegramChatId: z.string(),
  kind: z.enum(['channel', 'supergroup']),
  title: z.string(),
  username: z.string().nullable(),
  memberCount: z.number().int().nullable(),
  managed: z.boolean(),
});
/** One of the caller's bots in one channel: its member status there (Bot API getChatMember) and whether it may post. */
export const BotRightsView = z.object({
  botId: z.uuid(),
  username: z.string(),
  status: z.string(),
  canPost: z.boolean(),
});

/** A managed channel as the API shows it (never the access hash). */
export function channelView(row: ChannelRow): z.infer<typeof ChannelView> {
  return {
    id: row.id,
    accountId: row.account_id,
    telegramChatId: row.telegram_chat_id,
    kind: row.kind,
    title: row.title,
    username: row.username,
    memberCount: row.member_count,
    state: row.state,
    refreshedAt: new Date(row.refreshed_at).toISOString(),
  };
}

function availableView(chat: TelegramChat, managed: Set<string>): z.infer<typeof AvailableChatView> {
  return {
    telegramChatId: chat.id,
    kind: chat.kind,
    title: chat.title,
    username: chat.username ?? null,
    memberCount: chat.memberCount ?? null,
    managed: managed.has(chat.id),
  };
}

/** The request handlers of `/telegram/channels*`; Telegram reads run on the pod holding the account. */
export function channelHandlers(deps: { channels: Channels; onOwner: ReturnType<typeof ownerRouting> }) {
  const { channels, onOwner } = deps;
  return {
    async available(ctx: Context, { query }: { query: z.infer<typeof AvailableQuery> }) {
      const userId = userOf(ctx);
      const account = await channels.account(userId, query.accountId);
      await onOwner(ctx, resourceName('account', account.id), async () => {
        const chats = await channels.available(account.id);
        const managed = new Set((await channels.managedOf(userId, account.id)).map((row) => row.telegram_chat_id));
        ctx.body = { chats: chats.map((chat) => availableView(chat, managed)) };
      });
    },
    async manage(ctx: Context, { body }: { body: z.infer<typeof ManageBody> }) {
      const userId = userOf(ctx);
      const account = await channels.account(userId, body.accountId);
      await onOwner(ctx, resourceName('account', account.id), async () => {
        ctx.status = 201;
        ctx.body = channelView(await channels.manage(userId, account.id, body.telegramChatId));
      });
    },
    async list(ctx: Context) {
      ctx.body = { channels: (await channels.list(userOf(ctx))).map(channelView) };
    },
    async get(ctx: Context) {
      ctx.body = channelView(await channels.get(userOf(ctx), idParam(ctx, 'channel')));
    },
    async refresh(ctx: Context) {
      const row = await channels.get(userOf(ctx), idParam(ctx, 'channel'));
      await channels.account(row.user_id, row.account_id);
      await onOwner(ctx, resourceName('account', row.account_id), async () => {
        ctx.body = channelView(await channels.refresh(row));
      });
    },
    async remove(ctx: Context) {
      await channels.remove(userOf(ctx), idParam(ctx, 'channel'));
      ctx.status = 204;
    },
    async bots(ctx: Context) {
      const row = await channels.get(userOf(ctx), idParam(ctx, 'channel'));
      ctx.body = { bots: await channels.botRights(row) };
    },
  };
}
