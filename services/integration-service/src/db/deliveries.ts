import type { MessageEntity } from '../telegram/port.ts';
import type { TargetRow, TargetState } from './posts.ts';
import type { RowsQuery } from './rows.ts';

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

/**
 * The statements of delivery on `post_targets`: an attempt begun (with its pacing slot) and settled, one
 * round trip each. User-facing reads and changes are in `PostStore`.
 */
export class DeliveryStore {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

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
   * account's owner, which then begins it without pacing). `{ slot: null }`: the target is an interrupted
   * `sending` one, whose repeat takes no new slot. Undefined when the job is stale.
   */
  async pace(id: string, version: number, spacingMs: number): Promise<{ slot: Date | null } | undefined> {
    const [row] = await this.rows<{ slot: Date | null }>(
      `WITH old AS (SELECT t.state, c.telegram_chat_id AS chat_id
                      FROM post_targets t JOIN telegram_channels c ON c.id = t.channel_id
                     WHERE t.id = $1 AND t.version = $2 AND t.state IN ('scheduled', 'sending')),
       pace AS (${PACE} SELECT chat_id, ${NEXT_FREE} FROM old WHERE old.state = 'scheduled' ${PACE_CONFLICT}
                RETURNING ${SLOT})
       SELECT (SELECT slot FROM pace) AS slot FROM old`,
      [id, version, spacingMs],
    );
    if (row === undefined) return undefined;
    return { slot: row.slot === null ? null : new Date(row.slot) };
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
