import type { Transaction } from 'sequelize';
import type { MessageEntity } from '../telegram/port.ts';
import { TransactionalStore } from './rows.ts';

/** Statements of another library (pg-boss's `db` option) run on a connection: here, a transaction's. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: never[] }>;
}

/** Queues jobs for targets inside the transaction that wrote them: both commit, or neither. */
export type EnqueueIn = (
  targets: { id: string; version: number; via: 'account' | 'bot'; account_id: string | null }[],
  at: Date,
  db: SqlExecutor,
) => Promise<void>;

/** The sequelize transaction's own pg client, as an executor (sequelize keeps it on `connection`). */
function executorOf(transaction: Transaction): SqlExecutor {
  const client = (
    transaction as unknown as { connection: { query(text: string, values?: unknown[]): Promise<{ rows: never[] }> } }
  ).connection;
  return { executeSql: (text, values) => client.query(text, values) };
}

export type TargetState = 'scheduled' | 'sending' | 'sent' | 'failed' | 'unknown' | 'cancelled';

export interface PostRow {
  id: string;
  user_id: string;
  text: string;
  entities: MessageEntity[];
  silent: boolean;
  scheduled_at: Date;
  /** IANA zone the user scheduled in, for showing the time back to them. */
  time_zone: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface TargetRow {
  id: string;
  post_id: string;
  user_id: string;
  channel_id: string;
  via: 'account' | 'bot';
  account_id: string | null;
  bot_id: string | null;
  state: TargetState;
  /** Bumped by every edit and retry: a queued job of an older version does nothing. */
  version: number;
  due_at: Date;
  /** MTProto random_ids (one per message), written with the target, before any attempt. */
  random_ids: string[];
  attempts: number;
  message_id: string | null;
  link: string | null;
  failure: string | null;
  sent_at: Date | null;
  updated_at: Date;
}

export interface NewTarget {
  id: string;
  channelId: string;
  via: 'account' | 'bot';
  accountId: string | null;
  botId: string | null;
  randomIds: string[];
}

/** Targets whose post may still change: nothing was attempted yet. */
const EDITABLE = `NOT EXISTS (SELECT 1 FROM post_targets t WHERE t.post_id = posts.id AND t.state <> 'scheduled')`;

/** The `posts`, `post_targets` and `post_images` tables. Every user-facing query is filtered by user id. */
export class PostStore extends TransactionalStore {
  /** Stores an uploaded image unless the user already has `max` images not attached to a post. */
  async addImage(input: { id: string; userId: string; mimeType: string; data: Buffer; max: number }) {
    const [row] = await this.rows<{ id: string }>(
      `INSERT INTO post_images (id, user_id, mime_type, data)
       SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM post_images WHERE user_id = $2 AND post_id IS NULL) < $5
       RETURNING id`,
      [input.id, input.userId, input.mimeType, input.data, input.max],
    );
    return row;
  }

  async images(postId: string): Promise<{ data: Buffer; mimeType: string }[]> {
    const rows = await this.rows<{ data: Buffer; mime_type: string }>(
      `SELECT data, mime_type FROM post_images WHERE post_id = $1 ORDER BY position`,
      [postId],
    );
    return rows.map((row) => ({ data: row.data, mimeType: row.mime_type }));
  }

  /**
   * Creates the post with its targets and attaches the user's unattached images in order, unless the user
   * has `maxOpen` posts not yet sent. `undefined` at the cap; `'images'` when an image id is not theirs.
   */
  async create(input: {
    post: Omit<PostRow, 'created_at' | 'updated_at'>;
    targets: NewTarget[];
    imageIds: string[];
    maxOpen: number;
    enqueue: EnqueueIn;
  }): Promise<PostRow | undefined | 'images'> {
    const { post } = input;
    return this.sequelize
      .transaction(async (transaction) => {
        await this.rows(
          `SELECT pg_advisory_xact_lock(hashtextextended('posts:' || $1, 0)) AS locked`,
          [post.user_id],
          transaction,
        );
        const [open] = await this.rows<{ count: string }>(
          `SELECT count(DISTINCT post_id) AS count FROM post_targets WHERE user_id = $1 AND state IN ('scheduled', 'sending')`,
          [post.user_id],
          transaction,
        );
        if (Number(open?.count ?? 0) >= input.maxOpen) return undefined;
        const [row] = await this.rows<PostRow>(
          `INSERT INTO posts (id, user_id, text, entities, silent, scheduled_at, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
          [
            post.id,
            post.user_id,
            post.text,
            JSON.stringify(post.entities),
            post.silent,
            post.scheduled_at,
            post.time_zone,
          ],
          transaction,
        );
        const attached = await this.rows<{ id: string }>(
          `UPDATE post_images SET post_id = $1, position = array_position($3::uuid[], id)
         WHERE user_id = $2 AND post_id IS NULL AND id = ANY($3::uuid[]) RETURNING id`,
          [post.id, post.user_id, input.imageIds],
          transaction,
        );
        if (attached.length !== input.imageIds.length) throw new ImagesNotFound();
        for (const target of input.targets) {
          await this.rows(
            `INSERT INTO post_targets (id, post_id, user_id, channel_id, via, account_id, bot_id, state, due_at, random_ids)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8, $9)`,
            [
              target.id,
              post.id,
              post.user_id,
              target.channelId,
              target.via,
              target.accountId,
              target.botId,
              post.scheduled_at,
              target.randomIds,
            ],
            transaction,
          );
        }
        const jobs = input.targets.map((target) => ({
          id: target.id,
          version: 1,
          via: target.via,
          account_id: target.accountId,
        }));
        await input.enqueue(jobs, post.scheduled_at, executorOf(transaction));
        return row;
      })
      .catch((error: unknown) => {
        if (error instanceof ImagesNotFound) return 'images' as const;
        throw error;
      });
  }

  async get(userId: string, id: string): Promise<PostRow | undefined> {
    const [row] = await this.rows<PostRow>(`SELECT * FROM posts WHERE id = $1 AND user_id = $2`, [id, userId]);
    return row;
  }

  async ofUser(userId: string, limit: number, offset: number): Promise<PostRow[]> {
    return this.rows<PostRow>(
      `SELECT * FROM posts WHERE user_id = $1 ORDER BY scheduled_at DESC, id LIMIT $2 OFFSET $3`,
      [userId, limit, offset],
    );
  }

  async targets(userId: string, postIds: string[]): Promise<TargetRow[]> {
    return this.rows<TargetRow>(
      `SELECT * FROM post_targets WHERE user_id = $1 AND post_id = ANY($2::uuid[]) ORDER BY post_id, id`,
      [userId, postIds],
    );
  }

  /**
   * Changes a post none of whose targets was attempted yet, bumping every target's version (queued jobs of
   * the old version then do nothing). `undefined`: no such post of the user; `'started'`: too late.
   */
  async edit(
    userId: string,
    id: string,
    change: { text: string; entities: MessageEntity[]; silent: boolean; scheduledAt: Date; timeZone: string | null },
    enqueue: EnqueueIn,
  ): Promise<TargetRow[] | undefined | 'started'> {
    return this.sequelize.transaction(async (transaction) => {
      const [post] = await this.rows<PostRow & { editable: boolean }>(
        `SELECT posts.*, ${EDITABLE} AS editable FROM posts WHERE id = $1 AND user_id = $2 FOR UPDATE`,
        [id, userId],
        transaction,
      );
      if (post === undefined) return undefined;
      if (!post.editable) return 'started';
      await this.rows(
        `UPDATE posts SET text = $2, entities = $3, silent = $4, scheduled_at = $5, time_zone = $6, updated_at = now()
         WHERE id = $1`,
        [id, change.text, JSON.stringify(change.entities), change.silent, change.scheduledAt, change.timeZone],
        transaction,
      );
      const targets = await this.rows<TargetRow>(
        `UPDATE post_targets SET version = version + 1, due_at = $2, updated_at = now() WHERE post_id = $1 RETURNING *`,
        [id, change.scheduledAt],
        transaction,
      );
      await enqueue(targets, change.scheduledAt, executorOf(transaction));
      return targets;
    });
  }

  /** Cancels a post none of whose targets was attempted yet; as `edit` for the answers. */
  async cancel(userId: string, id: string): Promise<TargetRow[] | undefined | 'started'> {
    return this.sequelize.transaction(async (transaction) => {
      const [post] = await this.rows<{ editable: boolean }>(
        `SELECT ${EDITABLE} AS editable FROM posts WHERE id = $1 AND user_id = $2 FOR UPDATE`,
        [id, userId],
        transaction,
      );
      if (post === undefined) return undefined;
      if (!post.editable) return 'started';
      return this.rows<TargetRow>(
        `UPDATE post_targets SET state = 'cancelled', version = version + 1, updated_at = now() WHERE post_id = $1
         RETURNING *`,
        [id],
        transaction,
      );
    });
  }

  /** Schedules a failed (or unknown) target again, now. `undefined`: no such target; `'state'`: not retryable. */
  async retry(
    userId: string,
    postId: string,
    targetId: string,
    enqueue: EnqueueIn,
  ): Promise<TargetRow | undefined | 'state'> {
    return this.sequelize.transaction(async (transaction) => {
      const [row] = await this.rows<TargetRow & { retried: boolean }>(
        `WITH old AS (SELECT id, state FROM post_targets WHERE id = $1 AND post_id = $2 AND user_id = $3 FOR UPDATE)
       UPDATE post_targets t SET
         state = CASE WHEN old.state IN ('failed', 'unknown') THEN 'scheduled' ELSE t.state END,
         version = CASE WHEN old.state IN ('failed', 'unknown') THEN t.version + 1 ELSE t.version END,
         due_at = CASE WHEN old.state IN ('failed', 'unknown') THEN now() ELSE t.due_at END,
         failure = CASE WHEN old.state IN ('failed', 'unknown') THEN NULL ELSE t.failure END,
         updated_at = now()
       FROM old WHERE t.id = old.id
       RETURNING t.*, old.state IN ('failed', 'unknown') AS retried`,
        [targetId, postId, userId],
        transaction,
      );
      if (row === undefined) return undefined;
      if (!row.retried) return 'state' as const;
      await enqueue([row], new Date(), executorOf(transaction));
      return row;
    });
  }
}

class ImagesNotFound extends Error {}
