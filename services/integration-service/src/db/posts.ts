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

/** A target with what its delivery needs: the chat, the post, and for bots the encrypted token. */
export interface DeliveryRow extends TargetRow {
  telegram_chat_id: string;
  access_hash: string;
  username: string | null;
  text: string;
  entities: MessageEntity[];
  silent: boolean;
  scheduled_at: Date;
  telegram_bot_id: string | null;
  token_ciphertext: string | null;
  /** The target's state before `begin` moved it to `sending`. */
  before: TargetState;
  /** How many images the post has (they are read only when there are some). */
  image_count: number;
}

export interface NewTarget {
  id: string;
  channelId: string;
  via: 'account' | 'bot';
  accountId: string | null;
  botId: string | null;
  randomIds: string[];
}

/**
 * Per-chat pacing across replicas (`publish_pacing`, `$3` = spacing in ms): a send takes the later of now
 * and the chat's next free time as its slot, and the next free time moves `spacing` past the slot. Slots
 * are thus `spacing` apart in PostgreSQL's clock and a send never starts before its slot.
 */
const PACE = `INSERT INTO publish_pacing (chat_id, next_at)`;
const NEXT_FREE = `now() + make_interval(secs => $3::float8 / 1000)`;
const PACE_CONFLICT = `ON CONFLICT (chat_id) DO UPDATE SET
  next_at = greatest(publish_pacing.next_at, now()) + make_interval(secs => $3::float8 / 1000)`;
const SLOT = `next_at - make_interval(secs => $3::float8 / 1000) AS slot`;

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

  // --- delivery ---------------------------------------------------------------------------------------

  /**
   * Records an attempt before it is made, in one statement: a `scheduled` (or interrupted `sending`) target
   * of this version becomes `sending`, attempts + 1, and comes back with what its delivery needs. With
   * `spacingMs` > 0 a `scheduled` target first takes the next pacing slot of its chat (see `PACE`); when
   * that slot lies ahead the target stays `scheduled` and `{ slot }` says when it may go. Undefined when the
   * job is stale (edited, cancelled, already settled).
   */
  async begin(id: string, version: number, spacingMs = 0): Promise<{ row: DeliveryRow } | { slot: Date } | undefined> {
    const [row] = await this.rows<DeliveryRow & { paced_until: Date | null }>(
      `WITH old AS (SELECT t.id, t.state, c.telegram_chat_id AS chat_id
                      FROM post_targets t JOIN telegram_channels c ON c.id = t.channel_id
                     WHERE t.id = $1 AND t.version = $2 AND t.state IN ('scheduled', 'sending') FOR UPDATE OF t),
       pace AS (${PACE} SELECT chat_id, ${NEXT_FREE} FROM old WHERE old.state = 'scheduled' AND $3::float8 > 0
                ${PACE_CONFLICT} RETURNING ${SLOT}),
       begun AS (
         UPDATE post_targets t SET state = 'sending', attempts = t.attempts + 1, updated_at = now()
         FROM old, posts p, telegram_channels c
         WHERE t.id = old.id AND p.id = t.post_id AND c.id = t.channel_id
           AND NOT EXISTS (SELECT 1 FROM pace WHERE pace.slot > now())
         RETURNING t.*, old.state AS before, c.telegram_chat_id, c.access_hash, c.username, p.text, p.entities,
           p.silent, p.scheduled_at,
           (SELECT count(*)::int FROM post_images i WHERE i.post_id = t.post_id) AS image_count,
           (SELECT telegram_bot_id FROM telegram_bots b WHERE b.id = t.bot_id) AS telegram_bot_id,
           (SELECT token_ciphertext FROM telegram_bots b WHERE b.id = t.bot_id) AS token_ciphertext)
       SELECT begun.*, (SELECT slot FROM pace WHERE pace.slot > now()) AS paced_until
       FROM (VALUES (0)) AS one (x) LEFT JOIN begun ON true`,
      [id, version, spacingMs],
    );
    if (row === undefined) return undefined;
    if (row.paced_until !== null) return { slot: new Date(row.paced_until) };
    if (row.id === null) return undefined;
    const { paced_until: _paced, ...begun } = row;
    return { row: begun };
  }

  /**
   * Takes the next pacing slot of a `scheduled` target's chat, for a send another replica will make (the
   * account's owner, which then begins it without pacing). Undefined when the job is stale.
   */
  async pace(id: string, version: number, spacingMs: number): Promise<Date | undefined> {
    const [row] = await this.rows<{ slot: Date }>(
      `WITH old AS (SELECT c.telegram_chat_id AS chat_id
                      FROM post_targets t JOIN telegram_channels c ON c.id = t.channel_id
                     WHERE t.id = $1 AND t.version = $2 AND t.state = 'scheduled')
       ${PACE} SELECT chat_id, ${NEXT_FREE} FROM old ${PACE_CONFLICT} RETURNING ${SLOT}`,
      [id, version, spacingMs],
    );
    return row === undefined ? undefined : new Date(row.slot);
  }

  /** The target as the queue job sees it (no state change). */
  async target(id: string): Promise<TargetRow | undefined> {
    const [row] = await this.rows<TargetRow>(`SELECT * FROM post_targets WHERE id = $1`, [id]);
    return row;
  }

  /**
   * Ends an attempt with its outcome, in one statement: the target's new state and, for a final outcome
   * (sent, failed, unknown), the user's `post.publish` log entry. Undefined when the attempt was not the
   * target's current one (nothing is written then).
   */
  async settle(
    id: string,
    version: number,
    outcome:
      | { state: 'sent'; messageId: number; link: string | null }
      | { state: 'failed' | 'unknown'; failure: string }
      | { state: 'scheduled'; dueAt: Date; failure: string },
  ): Promise<TargetRow | undefined> {
    const [row] = await this.rows<TargetRow>(
      `WITH settled AS (
         UPDATE post_targets SET state = $3, message_id = $4, link = $5, failure = $6,
           due_at = COALESCE($7, due_at), sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END,
           version = CASE WHEN $3 = 'scheduled' THEN version + 1 ELSE version END, updated_at = now()
         WHERE id = $1 AND version = $2 AND state = 'sending' RETURNING *),
       logged AS (
         INSERT INTO integration_log (user_id, operation, outcome, error_kind, account_id)
         SELECT user_id, 'post.publish', CASE WHEN state = 'sent' THEN 'ok' ELSE 'error' END, failure, account_id
         FROM settled WHERE state IN ('sent', 'failed', 'unknown'))
       SELECT * FROM settled`,
      [
        id,
        version,
        outcome.state,
        outcome.state === 'sent' ? outcome.messageId : null,
        outcome.state === 'sent' ? outcome.link : null,
        outcome.state === 'sent' ? null : outcome.failure,
        outcome.state === 'scheduled' ? outcome.dueAt : null,
      ],
    );
    return row;
  }
}

class ImagesNotFound extends Error {}
