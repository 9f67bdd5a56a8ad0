import type { Context } from 'koa';
import { createdAnswer, listAnswer, noContentAnswer, okAnswer, operationGroup, type Operation } from '@cf/kit';
import { z } from 'zod';
import type { ChannelRow } from '../db/channels.ts';
import type { Channels } from '../publishing/channels.ts';
import { resourceName } from '../resources.ts';
import type { TelegramChat } from '../telegram/port.ts';
import { idParam, userOf } from './caller.ts';
import { TELEGRAM_CALL } from './documented-errors.ts';
import type { ownerRouting } from './owner.ts';

const AvailableQuery = z.object({ accountId: z.uuid() });
const ManageBody = z.object({ accountId: z.uuid(), telegramChatId: z.string().regex(/^\d{1,20}$/) });

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

/** What a route naming one of the caller's accounts in its input can answer (`onAccountHolder`, TELEGRAM_CALL). */
const ON_ACCOUNT = {
  404: 'no such account of the caller',
  409: 'the account is not connected',
  ...TELEGRAM_CALL,
} as const;

/** The routes of `/telegram/channels*`: chats the caller's accounts may post in; Telegram reads run on the pod holding the account. */
export function channelRoutes(deps: { channels: Channels; onOwner: ReturnType<typeof ownerRouting> }): Operation[] {
  const { channels, onOwner } = deps;
  /**
   * Runs `work` with the caller's user id on the pod holding their account `accountId`: 404 when it is not theirs,
   * 409 when it is not connected (as ON_ACCOUNT documents).
   */
  const onAccountHolder = async (ctx: Context, accountId: string, work: (userId: string) => Promise<void>) => {
    const userId = userOf(ctx);
    await channels.account(userId, accountId);
    await onOwner(ctx, resourceName('account', accountId), () => work(userId));
  };
  const group = operationGroup({ auth: 'user', tags: ['channels'], notFound: 'no such channel of the caller' });
  return [
    group.get(
      '/telegram/channels/available',
      'Channels and supergroups where a connected account of the caller may post',
      {
        query: AvailableQuery,
        success: {
          status: 200,
          description: '{chats: [{telegramChatId, kind, title, username, memberCount, managed}]}',
          schema: z.object({ chats: z.array(AvailableChatView) }),
        },
        errors: { ...ON_ACCOUNT, 400: 'accountId is not a uuid' },
        async handler(ctx, { query }) {
          await onAccountHolder(ctx, query.accountId, async (userId) => {
            const chats = await channels.available(query.accountId);
            const managed = new Set(
              (await channels.managedOf(userId, query.accountId)).map((row) => row.telegram_chat_id),
            );
            ctx.body = { chats: chats.map((chat) => availableView(chat, managed)) };
          });
        },
      },
    ),
    group.post('/telegram/channels', 'Manage a chat the account may post in (checked with Telegram now)', {
      body: ManageBody,
      ...createdAnswer('the channel', ChannelView, {
        getChannel: 'getTelegramChannelsById',
        refreshChannel: 'postTelegramChannelsByIdRefresh',
        channelBots: 'getTelegramChannelsByIdBots',
        removeChannel: 'deleteTelegramChannelsById',
      }),
      errors: {
        ...ON_ACCOUNT,
        400: 'invalid body, or the account may not post in that chat',
        409: 'the account is not connected, or the channel cap is reached',
      },
      async handler(ctx, { body }) {
        await onAccountHolder(ctx, body.accountId, async (userId) => {
          ctx.status = 201;
          ctx.body = channelView(await channels.manage(userId, body.accountId, body.telegramChatId));
        });
      },
    }),
    group.get('/telegram/channels', 'The caller’s managed channels, with their state (ok, rights_removed, gone)', {
      ...listAnswer('channels', '{channels}', z.object({ channels: z.array(ChannelView) }), {
        firstChannel: 'getTelegramChannelsById',
      }),
      async handler(ctx) {
        ctx.body = { channels: (await channels.list(userOf(ctx))).map(channelView) };
      },
    }),
    group.get('/telegram/channels/:id', 'One of the caller’s managed channels', {
      ...okAnswer('the channel', ChannelView),
      async handler(ctx) {
        ctx.body = channelView(await channels.get(userOf(ctx), idParam(ctx, 'channel')));
      },
    }),
    group.post('/telegram/channels/:id/refresh', 'Read title, member count and rights from Telegram again', {
      ...okAnswer('the channel as Telegram says now', ChannelView),
      errors: {
        409: 'the channel’s account is not connected',
        ...TELEGRAM_CALL,
      },
      async handler(ctx) {
        const row = await channels.get(userOf(ctx), idParam(ctx, 'channel'));
        await onAccountHolder(ctx, row.account_id, async () => {
          ctx.body = channelView(await channels.refresh(row));
        });
      },
    }),
    group.delete('/telegram/channels/:id', 'Stop managing a channel (its post targets go with it)', {
      ...noContentAnswer('no longer managed'),
      async handler(ctx) {
        await channels.remove(userOf(ctx), idParam(ctx, 'channel'));
        ctx.status = 204;
      },
    }),
    group.get(
      '/telegram/channels/:id/bots',
      'Whether each of the caller’s bots is an admin allowed to post in the channel (Bot API getChatMember)',
      {
        tags: ['channels', 'bots'],
        success: {
          status: 200,
          description: '{bots: [{botId, username, status, canPost}]}',
          schema: z.object({ bots: z.array(BotRightsView) }),
        },
        async handler(ctx) {
          const row = await channels.get(userOf(ctx), idParam(ctx, 'channel'));
          ctx.body = { bots: await channels.botRights(row) };
        },
      },
    ),
  ];
}
