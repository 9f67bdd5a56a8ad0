import { z } from 'zod';
import { createdAnswer, idLinks, listAnswer, noContentAnswer, okAnswer, operationGroup, type Operation } from '@cf/kit';
import {
  AvailableChatView,
  AvailableQuery,
  BotRightsView,
  ChannelView,
  ManageBody,
  type channelHandlers,
} from './channel-handlers.ts';
import {
  ImageBody,
  ImageView,
  PostBody,
  PostEditBody,
  PostListQuery,
  PostView,
  type postHandlers,
} from './post-handlers.ts';

/** What a channel route that asks Telegram can answer besides its own errors (`telegram/errors.ts` KINDS). */
const TELEGRAM_CALL = {
  429: 'flood wait (Retry-After)',
  503: 'ownership of the account is moving (Retry-After)',
  504: 'Telegram did not answer in time',
} as const;

/**
 * The publishing routes: channels, images and posts. Success bodies are the `*View` schemas next to their
 * handlers, so the OpenAPI document and the web's typed client describe exactly what is sent.
 */
export function publishingRoutes(deps: {
  channels: ReturnType<typeof channelHandlers>;
  posts: ReturnType<typeof postHandlers>;
}): Operation[] {
  const { channels, posts } = deps;
  const channelRoutes = operationGroup({ auth: 'user', tags: ['channels'], notFound: 'no such channel of the caller' });
  const postRoutes = operationGroup({ auth: 'user', tags: ['posts'], notFound: 'no such post of the caller' });
  return [
    channelRoutes.get(
      '/telegram/channels/available',
      'Channels and supergroups where a connected account of the caller may post',
      {
        query: AvailableQuery,
        success: {
          status: 200,
          description: '{chats: [{telegramChatId, kind, title, username, memberCount, managed}]}',
          schema: z.object({ chats: z.array(AvailableChatView) }),
        },
        errors: {
          400: 'accountId is not a uuid',
          404: 'no such account of the caller',
          409: 'the account is not connected',
          ...TELEGRAM_CALL,
        },
        handler: channels.available,
      },
    ),
    channelRoutes.post('/telegram/channels', 'Manage a chat the account may post in (checked with Telegram now)', {
      body: ManageBody,
      ...createdAnswer('the channel', ChannelView, {
        getChannel: 'getTelegramChannelsById',
        refreshChannel: 'postTelegramChannelsByIdRefresh',
        channelBots: 'getTelegramChannelsByIdBots',
        removeChannel: 'deleteTelegramChannelsById',
      }),
      errors: {
        400: 'invalid body, or the account may not post in that chat',
        404: 'no such account of the caller',
        409: 'the account is not connected, or the channel cap is reached',
        ...TELEGRAM_CALL,
      },
      handler: channels.manage,
    }),
    channelRoutes.get(
      '/telegram/channels',
      'The caller’s managed channels, with their state (ok, rights_removed, gone)',
      {
        ...listAnswer('channels', '{channels}', z.object({ channels: z.array(ChannelView) }), {
          firstChannel: 'getTelegramChannelsById',
        }),
        handler: channels.list,
      },
    ),
    channelRoutes.get('/telegram/channels/:id', 'One of the caller’s managed channels', {
      ...okAnswer('the channel', ChannelView),
      handler: channels.get,
    }),
    channelRoutes.post('/telegram/channels/:id/refresh', 'Read title, member count and rights from Telegram again', {
      ...okAnswer('the channel as Telegram says now', ChannelView),
      errors: {
        409: 'the channel’s account is not connected',
        ...TELEGRAM_CALL,
      },
      handler: channels.refresh,
    }),
    channelRoutes.delete('/telegram/channels/:id', 'Stop managing a channel (its post targets go with it)', {
      ...noContentAnswer('no longer managed'),
      handler: channels.remove,
    }),
    channelRoutes.get(
      '/telegram/channels/:id/bots',
      'Whether each of the caller’s bots is an admin allowed to post in the channel (Bot API getChatMember)',
      {
        tags: ['channels', 'bots'],
        success: {
          status: 200,
          description: '{bots: [{botId, username, status, canPost}]}',
          schema: z.object({ bots: z.array(BotRightsView) }),
        },
        handler: channels.bots,
      },
    ),
    postRoutes.post('/telegram/posts/images', 'Upload an image (base64, at most 10 MB) for a post to come', {
      body: ImageBody,
      success: { status: 201, description: '{id, bytes}', schema: ImageView },
      errors: {
        400: 'invalid body',
        409: 'the cap of images waiting for a post is reached',
        413: 'the image is larger than 10 MB',
      },
      handler: posts.addImage,
    }),
    postRoutes.post(
      '/telegram/posts',
      'Compose a post: text with entities, images, silent flag, targets; now or at scheduledAt',
      {
        body: PostBody,
        success: { status: 201, description: 'the post with its targets (scheduled)', schema: PostView },
        links: {
          ...idLinks('$response.body#/id', {
            getPost: 'getTelegramPostsById',
            editPost: 'patchTelegramPostsById',
            cancelPost: 'deleteTelegramPostsById',
          }),
          retryFirstTarget: {
            operationId: 'postTelegramPostsByIdTargetsByTargetIdRetry',
            parameters: { id: '$response.body#/id', targetId: '$response.body#/targets/0/id' },
          },
        },
        errors: {
          400: 'invalid body (text too long, entity outside the text, time in the past, …)',
          404: 'a channel, bot or image that is not the caller’s',
          409: 'the cap of posts waiting to be sent is reached',
          413: 'more than 10 images',
        },
        handler: posts.create,
      },
    ),
    postRoutes.get('/telegram/posts', 'The caller’s posts, latest scheduled first, with per-target state and links', {
      query: PostListQuery,
      ...listAnswer(
        'posts',
        '{posts, page, pageSize}',
        z.object({ posts: z.array(PostView), page: z.int().min(1), pageSize: z.int().min(1) }),
        { firstPost: 'getTelegramPostsById' },
      ),
      errors: { 400: 'invalid paging' },
      handler: posts.list,
    }),
    postRoutes.get('/telegram/posts/:id', 'One of the caller’s posts with per-target state, message id and t.me link', {
      ...okAnswer('the post', PostView),
      handler: posts.get,
    }),
    postRoutes.patch('/telegram/posts/:id', 'Edit text, entities, silent flag or time, until sending starts', {
      body: PostEditBody,
      ...okAnswer('the post', PostView),
      errors: { 400: 'invalid body', 409: 'sending started or finished' },
      handler: posts.edit,
    }),
    postRoutes.delete('/telegram/posts/:id', 'Cancel a post, until sending starts', {
      ...noContentAnswer('cancelled'),
      errors: { 409: 'sending started or finished' },
      handler: posts.cancel,
    }),
    postRoutes.post('/telegram/posts/:id/targets/:targetId/retry', 'Send a failed (or unknown) target again, now', {
      ...okAnswer('the post', PostView),
      errors: { 404: 'no such post or target of the caller', 409: 'the target is not failed or unknown' },
      handler: posts.retry,
    }),
  ];
}
