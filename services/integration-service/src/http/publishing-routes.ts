import { operation, type Operation } from '@cf/kit';
import { AvailableQuery, ManageBody, type channelHandlers } from './channel-handlers.ts';
import { ImageBody, PostBody, PostEditBody, PostListQuery, type postHandlers } from './post-handlers.ts';

/**
 * The publishing routes: channels, images and posts. Response shapes are the `*View` schemas next to their
 * handlers (`ChannelView`, `AvailableChatView`, `BotRightsView`, `PostView`, `ImageView`).
 */
export function publishingRoutes(deps: {
  channels: ReturnType<typeof channelHandlers>;
  posts: ReturnType<typeof postHandlers>;
}): Operation[] {
  const { channels, posts } = deps;
  const auth = 'user' as const;
  return [
    operation({
      method: 'get',
      path: '/telegram/channels/available',
      summary: 'Channels and supergroups where a connected account of the caller may post',
      tags: ['channels'],
      auth,
      query: AvailableQuery,
      responses: {
        200: '{chats: [{telegramChatId, kind, title, username, memberCount, managed}]}',
        400: 'accountId is not a uuid',
        404: 'no such account of the caller',
        409: 'the account is not connected',
        429: 'flood wait (Retry-After)',
        503: 'ownership of the account is moving (Retry-After)',
        504: 'Telegram did not answer in time',
      },
      handler: channels.available,
    }),
    operation({
      method: 'post',
      path: '/telegram/channels',
      summary: 'Manage a chat the account may post in (checked with Telegram now)',
      tags: ['channels'],
      auth,
      body: ManageBody,
      responses: {
        201: 'the channel',
        400: 'invalid body, or the account may not post in that chat',
        404: 'no such account of the caller',
        409: 'the account is not connected, or the channel cap is reached',
        429: 'flood wait (Retry-After)',
        503: 'ownership of the account is moving (Retry-After)',
        504: 'Telegram did not answer in time',
      },
      handler: channels.manage,
    }),
    operation({
      method: 'get',
      path: '/telegram/channels',
      summary: 'The caller’s managed channels, with their state (ok, rights_removed, gone)',
      tags: ['channels'],
      auth,
      responses: { 200: '{channels}' },
      handler: channels.list,
    }),
    operation({
      method: 'get',
      path: '/telegram/channels/:id',
      summary: 'One of the caller’s managed channels',
      tags: ['channels'],
      auth,
      responses: { 200: 'the channel', 404: 'no such channel of the caller' },
      handler: channels.get,
    }),
    operation({
      method: 'post',
      path: '/telegram/channels/:id/refresh',
      summary: 'Read title, member count and rights from Telegram again',
      tags: ['channels'],
      auth,
      responses: {
        200: 'the channel as Telegram says now',
        404: 'no such channel of the caller',
        409: 'the channel’s account is not connected',
        429: 'flood wait (Retry-After)',
        503: 'ownership of the account is moving (Retry-After)',
        504: 'Telegram did not answer in time',
      },
      handler: channels.refresh,
    }),
    operation({
      method: 'delete',
      path: '/telegram/channels/:id',
      summary: 'Stop managing a channel (its post targets go with it)',
      tags: ['channels'],
      auth,
      responses: { 204: 'no longer managed', 404: 'no such channel of the caller' },
      handler: channels.remove,
    }),
    operation({
      method: 'get',
      path: '/telegram/channels/:id/bots',
      summary: 'Whether each of the caller’s bots is an admin allowed to post in the channel (Bot API getChatMember)',
      tags: ['channels', 'bots'],
      auth,
      responses: { 200: '{bots: [{botId, username, status, canPost}]}', 404: 'no such channel of the caller' },
      handler: channels.bots,
    }),
    operation({
      method: 'post',
      path: '/telegram/posts/images',
      summary: 'Upload an image (base64, at most 10 MB) for a post to come',
      tags: ['posts'],
      auth,
      body: ImageBody,
      responses: {
        201: '{id, bytes}',
        400: 'invalid body',
        409: 'the cap of images waiting for a post is reached',
        413: 'the image is larger than 10 MB',
      },
      handler: posts.addImage,
    }),
    operation({
      method: 'post',
      path: '/telegram/posts',
      summary: 'Compose a post: text with entities, images, silent flag, targets; now or at scheduledAt',
      tags: ['posts'],
      auth,
      body: PostBody,
      responses: {
        201: 'the post with its targets (scheduled)',
        400: 'invalid body (text too long, entity outside the text, time in the past, …)',
        404: 'a channel, bot or image that is not the caller’s',
        409: 'the cap of posts waiting to be sent is reached',
        413: 'more than 10 images',
      },
      handler: posts.create,
    }),
    operation({
      method: 'get',
      path: '/telegram/posts',
      summary: 'The caller’s posts, latest scheduled first, with per-target state and links',
      tags: ['posts'],
      auth,
      query: PostListQuery,
      responses: { 200: '{posts, page, pageSize}', 400: 'invalid paging' },
      handler: posts.list,
    }),
    operation({
      method: 'get',
      path: '/telegram/posts/:id',
      summary: 'One of the caller’s posts with per-target state, message id and t.me link',
      tags: ['posts'],
      auth,
      responses: { 200: 'the post', 404: 'no such post of the caller' },
      handler: posts.get,
    }),
    operation({
      method: 'patch',
      path: '/telegram/posts/:id',
      summary: 'Edit text, entities, silent flag or time, until sending starts',
      tags: ['posts'],
      auth,
      body: PostEditBody,
      responses: {
        200: 'the post',
        400: 'invalid body',
        404: 'no such post of the caller',
        409: 'sending started or finished',
      },
      handler: posts.edit,
    }),
    operation({
      method: 'delete',
      path: '/telegram/posts/:id',
      summary: 'Cancel a post, until sending starts',
      tags: ['posts'],
      auth,
      responses: { 204: 'cancelled', 404: 'no such post of the caller', 409: 'sending started or finished' },
      handler: posts.cancel,
    }),
    operation({
      method: 'post',
      path: '/telegram/posts/:id/targets/:targetId/retry',
      summary: 'Send a failed (or unknown) target again, now',
      tags: ['posts'],
      auth,
      responses: {
        200: 'the post',
        404: 'no such post or target of the caller',
        409: 'the target is not failed or unknown',
      },
      handler: posts.retry,
    }),
  ];
}
