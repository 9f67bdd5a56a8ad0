import type { Context } from 'koa';
import { HttpProblem, idLinks, listAnswer, noContentAnswer, okAnswer, operationGroup, type Operation } from '@cf/kit';
import { z } from 'zod';
import type { PostRow, TargetRow } from '../db/posts.ts';
import type { Posts } from '../publishing/posts.ts';
import { idParam, userOf } from './caller.ts';

export const Entity = z.object({
  type: z.enum(['bold', 'italic', 'underline', 'strikethrough', 'spoiler', 'code', 'pre', 'text_link']),
  offset: z.number().int().min(0),
  length: z.number().int().min(1),
  url: z
    .url({ protocol: /^https?$|^tg$/ })
    .max(2048)
    .optional(),
});

const TimeZone = z
  .string()
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone');

/** At most this far ahead; a time in the past (beyond a clock-skew minute) is refused. */
const MAX_AHEAD_MS = 366 * 86_400_000;
const ScheduledAt = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text))
  .refine((at) => at.getTime() > Date.now() - 60_000, 'in the past')
  .refine((at) => at.getTime() < Date.now() + MAX_AHEAD_MS, 'more than a year ahead');

const Content = {
  text: z.string().max(4096).default(''),
  entities: z.array(Entity).max(100).default([]),
  silent: z.boolean().default(false),
  /** ISO 8601 with offset; absent: publish now. */
  scheduledAt: ScheduledAt.optional(),
  /** The IANA zone the user picked the time in, shown back to them. */
  timeZone: TimeZone.optional(),
};

const ImageBody = z.object({
  mimeType: z.enum(['image/jpeg', 'image/png', 'image/webp']),
  /** The image, base64; at most 10 MB once decoded (413 above). */
  data: z.base64().min(1),
});
const PostBody = z.object({
  ...Content,
  imageIds: z.array(z.uuid()).max(100).default([]),
  targets: z
    .array(
      z
        .object({ channelId: z.uuid(), via: z.enum(['account', 'bot']), botId: z.uuid().optional() })
        .refine((target) => target.via === 'account' || target.botId !== undefined, {
          message: 'a bot target names its bot',
          path: ['botId'],
        }),
    )
    .min(1)
    .max(100),
});
const PostEditBody = z.object(Content);
const PostListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export const TargetView = z.object({
  id: z.uuid(),
  channelId: z.uuid(),
  via: z.enum(['account', 'bot']),
  accountId: z.uuid().nullable(),
  botId: z.uuid().nullable(),
  state: z.enum(['scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled']),
  dueAt: z.string(),
  attempts: z.number().int(),
  messageId: z.number().int().nullable(),
  link: z.string().nullable(),
  failure: z.string().nullable(),
  sentAt: z.string().nullable(),
});
export const PostView = z.object({
  id: z.uuid(),
  text: z.string(),
  entities: z.array(Entity),
  silent: z.boolean(),
  scheduledAt: z.string(),
  timeZone: z.string().nullable(),
  createdAt: z.string(),
  targets: z.array(TargetView),
});
export const ImageView = z.object({ id: z.uuid(), bytes: z.number().int() });

const iso = (at: Date | null): string | null => (at === null ? null : new Date(at).toISOString());

function targetView(row: TargetRow): z.infer<typeof TargetView> {
  return {
    id: row.id,
    channelId: row.channel_id,
    via: row.via,
    accountId: row.account_id,
    botId: row.bot_id,
    state: row.state,
    dueAt: new Date(row.due_at).toISOString(),
    attempts: row.attempts,
    messageId: row.message_id === null ? null : Number(row.message_id),
    link: row.link,
    failure: row.failure,
    sentAt: iso(row.sent_at),
  };
}

export function postView({ post, targets }: { post: PostRow; targets: TargetRow[] }): z.infer<typeof PostView> {
  return {
    id: post.id,
    text: post.text,
    entities: post.entities,
    silent: post.silent,
    scheduledAt: new Date(post.scheduled_at).toISOString(),
    timeZone: post.time_zone,
    createdAt: new Date(post.created_at).toISOString(),
    targets: targets.map(targetView),
  };
}

function targetParam(ctx: Context): string {
  const id = z.uuid().safeParse(ctx.params['targetId']);
  if (!id.success) throw HttpProblem.notFound('no such target');
  return id.data;
}

/** The routes of `/telegram/posts*`: images, posts and their targets, now or at a time. */
export function postRoutes(posts: Posts): Operation[] {
  const group = operationGroup({ auth: 'user', tags: ['posts'], notFound: 'no such post of the caller' });
  return [
    group.post('/telegram/posts/images', 'Upload an image (base64, at most 10 MB) for a post to come', {
      body: ImageBody,
      success: { status: 201, description: '{id, bytes}', schema: ImageView },
      errors: {
        400: 'invalid body',
        409: 'the cap of images waiting for a post is reached',
        413: 'the image is larger than 10 MB',
      },
      async handler(ctx, { body }) {
        ctx.status = 201;
        ctx.body = await posts.addImage(userOf(ctx), body.mimeType, Buffer.from(body.data, 'base64'));
      },
    }),
    group.post(
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
        async handler(ctx, { body }) {
          const userId = userOf(ctx);
          const post = await posts.create(userId, {
            ...body,
            scheduledAt: body.scheduledAt,
            timeZone: body.timeZone,
          });
          ctx.status = 201;
          ctx.body = postView(await posts.get(userId, post.id));
        },
      },
    ),
    group.get('/telegram/posts', 'The caller’s posts, latest scheduled first, with per-target state and links', {
      query: PostListQuery,
      ...listAnswer(
        'posts',
        '{posts, page, pageSize}',
        z.object({ posts: z.array(PostView), page: z.int().min(1), pageSize: z.int().min(1) }),
        { firstPost: 'getTelegramPostsById' },
      ),
      errors: { 400: 'invalid paging' },
      async handler(ctx, { query }) {
        const page = await posts.list(userOf(ctx), query.pageSize, (query.page - 1) * query.pageSize);
        ctx.body = { posts: page.map(postView), page: query.page, pageSize: query.pageSize };
      },
    }),
    group.get('/telegram/posts/:id', 'One of the caller’s posts with per-target state, message id and t.me link', {
      ...okAnswer('the post', PostView),
      async handler(ctx) {
        ctx.body = postView(await posts.get(userOf(ctx), idParam(ctx, 'post')));
      },
    }),
    group.patch('/telegram/posts/:id', 'Edit text, entities, silent flag or time, until sending starts', {
      body: PostEditBody,
      ...okAnswer('the post', PostView),
      errors: { 400: 'invalid body', 409: 'sending started or finished' },
      async handler(ctx, { body }) {
        ctx.body = postView(await posts.edit(userOf(ctx), idParam(ctx, 'post'), body));
      },
    }),
    group.delete('/telegram/posts/:id', 'Cancel a post, until sending starts', {
      ...noContentAnswer('cancelled'),
      errors: { 409: 'sending started or finished' },
      async handler(ctx) {
        await posts.cancel(userOf(ctx), idParam(ctx, 'post'));
        ctx.status = 204;
      },
    }),
    group.post('/telegram/posts/:id/targets/:targetId/retry', 'Send a failed (or unknown) target again, now', {
      ...okAnswer('the post', PostView),
      errors: { 404: 'no such post or target of the caller', 409: 'the target is not failed or unknown' },
      async handler(ctx) {
        const userId = userOf(ctx);
        const postId = idParam(ctx, 'post');
        await posts.retry(userId, postId, targetParam(ctx));
        ctx.body = postView(await posts.get(userId, postId));
      },
    }),
  ];
}
