import { randomBytes, randomUUID } from 'node:crypto';
import { HttpProblem, type Logger } from '@cf/kit';
import type { NewTarget, PostRow, TargetRow } from '../db/posts.ts';
import type { Store } from '../db/store.ts';
import type { MessageEntity } from '../telegram/port.ts';
import type { PublishQueue } from './queue.ts';

/** Telegram's limits: a message's text (4096) and a media caption (1024), in UTF-16 code units. */
export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;
/** Telegram's photo upload limit is 10 MB; an album holds at most 10 items (core.telegram.org/api/files). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_IMAGES = 10;

export interface PostLimits {
  openPostsPerUser: number;
  targetsPerPost: number;
  pendingImagesPerUser: number;
}

export interface PostInput {
  text: string;
  entities: MessageEntity[];
  silent: boolean;
  /** Absent: now. */
  scheduledAt: Date | undefined;
  timeZone: string | undefined;
  imageIds: string[];
  targets: { channelId: string; via: 'account' | 'bot'; botId?: string | undefined }[];
}

/** A signed 64-bit random_id, in decimal: what MTProto's `long random_id` takes. */
const randomId = (): string => randomBytes(8).readBigInt64BE().toString();

function checkText(text: string, entities: MessageEntity[], images: number): void {
  const max = images > 0 ? MAX_CAPTION : MAX_TEXT;
  if (text.length > max) {
    throw HttpProblem.badRequest(`the text is longer than Telegram allows (${max})`, [
      { field: 'text', message: `at most ${max} characters${images > 0 ? ' as an image caption' : ''}` },
    ]);
  }
  if (text.trim() === '' && images === 0) {
    throw HttpProblem.badRequest('a post needs text or an image', [{ field: 'text', message: 'required' }]);
  }
  for (const [index, entity] of entities.entries()) {
    if (entity.offset + entity.length > text.length) {
      throw HttpProblem.badRequest('a formatting entity lies outside the text', [
        { field: `entities.${index}`, message: 'offset + length beyond the text' },
      ]);
    }
    if (entity.type === 'text_link' && entity.url === undefined) {
      throw HttpProblem.badRequest('a link needs its url', [{ field: `entities.${index}.url`, message: 'required' }]);
    }
  }
}

/** The user's posts: composed, scheduled through the queue, edited or cancelled until a target is attempted. */
export class Posts {
  private readonly deps: { store: Store; queue: PublishQueue; logger: Logger; limits: PostLimits };

  constructor(deps: Posts['deps']) {
    this.deps = deps;
  }

  /** Stores an image for a post to come. 413 above 10 MB; 409 at the pending-images cap. */
  async addImage(userId: string, mimeType: string, data: Buffer): Promise<{ id: string; bytes: number }> {
    if (data.length > MAX_IMAGE_BYTES) {
      throw new HttpProblem(413, { detail: `an image may have at most ${MAX_IMAGE_BYTES} bytes` });
    }
    if (data.length === 0) throw HttpProblem.badRequest('the image is empty', [{ field: 'data', message: 'empty' }]);
    const max = this.deps.limits.pendingImagesPerUser;
    const row = await this.deps.store.posts.addImage({ id: randomUUID(), userId, mimeType, data, max });
    if (row === undefined) {
      throw new HttpProblem(409, {
        detail: `at most ${max} images waiting for a post`,
        extensions: { limit: 'pending_images_per_user', max },
      });
    }
    return { id: row.id, bytes: data.length };
  }

  async create(userId: string, input: PostInput): Promise<PostRow> {
    const { store, limits } = this.deps;
    if (input.imageIds.length > MAX_IMAGES) {
      throw new HttpProblem(413, { detail: `a post may have at most ${MAX_IMAGES} images (one album)` });
    }
    checkText(input.text, input.entities, input.imageIds.length);
    if (input.targets.length > limits.targetsPerPost) {
      throw HttpProblem.badRequest(`at most ${limits.targetsPerPost} targets per post`, [
        { field: 'targets', message: `at most ${limits.targetsPerPost}` },
      ]);
    }
    const targets: NewTarget[] = [];
    const seen = new Set<string>();
    for (const target of input.targets) {
      const channel = await store.channels.get(userId, target.channelId);
      if (channel === undefined) throw HttpProblem.notFound('no such channel');
      let botId: string | null = null;
      if (target.via === 'bot') {
        const bot = (await store.bots.ofUser(userId)).find((candidate) => candidate.id === target.botId);
        if (bot === undefined) throw HttpProblem.notFound('no such bot');
        botId = bot.id;
      }
      const key = `${channel.id}:${target.via}:${botId ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      targets.push({
        id: randomUUID(),
        channelId: channel.id,
        via: target.via,
        accountId: target.via === 'account' ? channel.account_id : null,
        botId,
        randomIds: Array.from({ length: Math.max(1, input.imageIds.length) }, randomId),
      });
    }
    const scheduledAt = input.scheduledAt ?? new Date();
    const created = await store.posts.create({
      post: {
        id: randomUUID(),
        user_id: userId,
        text: input.text,
        entities: input.entities,
        silent: input.silent,
        scheduled_at: scheduledAt,
        time_zone: input.timeZone ?? null,
      },
      targets,
      imageIds: input.imageIds,
      maxOpen: limits.openPostsPerUser,
      enqueue: this.deps.queue.enqueueIn,
    });
    if (created === 'images') throw HttpProblem.notFound('no such image');
    if (created === undefined) {
      throw new HttpProblem(409, {
        detail: `at most ${limits.openPostsPerUser} posts waiting to be sent`,
        extensions: { limit: 'open_posts_per_user', max: limits.openPostsPerUser },
      });
    }
    this.deps.queue.wakeAt(scheduledAt);
    await store.log.add({ userId, operation: 'post.create', outcome: 'ok' });
    this.deps.logger.info({ userId, postId: created.id, targets: targets.length }, 'post scheduled');
    return created;
  }

  async get(userId: string, id: string): Promise<{ post: PostRow; targets: TargetRow[] }> {
    const post = await this.deps.store.posts.get(userId, id);
    if (post === undefined) throw HttpProblem.notFound('no such post');
    return { post, targets: await this.deps.store.posts.targets(userId, [id]) };
  }

  async list(userId: string, limit: number, offset: number) {
    const posts = await this.deps.store.posts.ofUser(userId, limit, offset);
    const targets = await this.deps.store.posts.targets(
      userId,
      posts.map((post) => post.id),
    );
    return posts.map((post) => ({ post, targets: targets.filter((target) => target.post_id === post.id) }));
  }

  async edit(
    userId: string,
    id: string,
    change: {
      text: string;
      entities: MessageEntity[];
      silent: boolean;
      scheduledAt?: Date | undefined;
      timeZone?: string | undefined;
    },
  ) {
    const current = await this.get(userId, id);
    const images = (await this.deps.store.posts.images(id)).length;
    checkText(change.text, change.entities, images);
    const scheduledAt = change.scheduledAt ?? new Date(current.post.scheduled_at);
    const targets = await this.deps.store.posts.edit(
      userId,
      id,
      {
        text: change.text,
        entities: change.entities,
        silent: change.silent,
        scheduledAt,
        timeZone: change.timeZone ?? current.post.time_zone,
      },
      this.deps.queue.enqueueIn,
    );
    if (targets === undefined) throw HttpProblem.notFound('no such post');
    if (targets === 'started') throw HttpProblem.conflict('the post is already being sent or was sent');
    this.deps.queue.wakeAt(scheduledAt);
    return this.get(userId, id);
  }

  async cancel(userId: string, id: string): Promise<void> {
    const cancelled = await this.deps.store.posts.cancel(userId, id);
    if (cancelled === undefined) throw HttpProblem.notFound('no such post');
    if (cancelled === 'started') throw HttpProblem.conflict('the post is already being sent or was sent');
    await this.deps.store.log.add({ userId, operation: 'post.cancel', outcome: 'ok' });
  }

  async retry(userId: string, postId: string, targetId: string): Promise<TargetRow> {
    const target = await this.deps.store.posts.retry(userId, postId, targetId, this.deps.queue.enqueueIn);
    if (target === undefined) throw HttpProblem.notFound('no such target');
    if (target === 'state') throw HttpProblem.conflict('only a failed or unknown target can be retried');
    this.deps.queue.wakeAt(new Date());
    await this.deps.store.log.add({ userId, operation: 'post.retry', outcome: 'ok' });
    return target;
  }
}
