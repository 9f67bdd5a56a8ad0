import type { Context } from 'koa';
import { HttpProblem } from '@cf/kit';
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

export const ImageBody = z.object({
  mimeType: z.enum(['image/jpeg', 'image/png', 'image/webp']),
  /** The image, base64; at most 10 MB once decoded (413 above). */
  data: z.base64().min(1),
});
export const PostBody = z.object({
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
export const PostEditBody = z.object(Content);
export const PostListQuery = z.object({
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

/** The request handlers of `/telegram/posts*`. */
export function postHandlers(posts: Posts) {
  return {
    async addImage(ctx: Context, { body }: { body: z.infer<typeof ImageBody> }) {
      ctx.status = 201;
      ctx.body = await posts.addImage(userOf(ctx), body.mimeType, Buffer.from(body.data, 'base64'));
    },
    async create(ctx: Context, { body }: { body: z.infer<typeof PostBody> }) {
      const userId = userOf(ctx);
      const post = await posts.create(userId, {
        ...body,
        scheduledAt: body.scheduledAt,
        timeZone: body.timeZone,
      });
      ctx.status = 201;
      ctx.body = postView(await posts.get(userId, post.id));
    },
    async list(ctx: Context, { query }: { query: z.infer<typeof PostListQuery> }) {
      const page = await posts.list(userOf(ctx), query.pageSize, (query.page - 1) * query.pageSize);
      ctx.body = { posts: page.map(postView), page: query.page, pageSize: query.pageSize };
    },
    async get(ctx: Context) {
      ctx.body = postView(await posts.get(userOf(ctx), idParam(ctx, 'post')));
    },
    async edit(ctx: Context, { body }: { body: z.infer<typeof PostEditBody> }) {
      ctx.body = postView(await posts.edit(userOf(ctx), idParam(ctx, 'post'), body));
    },
    async cancel(ctx: Context) {
      await posts.cancel(userOf(ctx), idParam(ctx, 'post'));
      ctx.status = 204;
    },
    async retry(ctx: Context) {
      const userId = userOf(ctx);
      const postId = idParam(ctx, 'post');
      await posts.retry(userId, postId, targetParam(ctx));
      ctx.body = postView(await posts.get(userId, postId));
    },
  };
}
