import type { TelegramChat } from '../telegram/port.ts';
import type { RowsQuery } from './rows.ts';

export type ChannelState = 'ok' | 'rights_removed' | 'gone';

export interface ChannelRow {
  id: string;
  user_id: string;
  account_id: string;
  telegram_chat_id: string;
  /** MTProto access hash of the peer for this account: not a secret, but useless to anyone else. */
  access_hash: string;
  kind: 'channel' | 'supergroup';
  title: string;
  username: string | null;
  member_count: number | null;
  state: ChannelState;
  refreshed_at: Date;
  created_at: Date;
}

/**
 * The columns that say what Telegram tells of a chat now, in this order: `title`, `username`, `member_count` and
 * `state` (`ok` when the account may post, else `rights_removed`) — the values both an upsert and a refresh store.
 */
function describedBy(chat: TelegramChat): [string, string | null, number | null, ChannelState] {
  return [chat.title, chat.username ?? null, chat.memberCount ?? null, chat.canPost ? 'ok' : 'rights_removed'];
}

/** The `telegram_channels` table: the chats a user chose to manage, each tied to the account that found it. */
export class ChannelStore {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

  /** Adds (or refreshes) the managed chat unless the user is at `max` chats; undefined when at the cap. */
  async manage(input: {
    id: string;
    userId: string;
    accountId: string;
    chat: TelegramChat;
    max: number;
  }): Promise<ChannelRow | undefined> {
    const { chat } = input;
    const [row] = await this.rows<ChannelRow>(
      `INSERT INTO telegram_channels (id, user_id, account_id, telegram_chat_id, access_hash, kind, title, username,
         member_count, state)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
       WHERE (SELECT count(*) FROM telegram_channels WHERE user_id = $2) < $11
       ON CONFLICT (user_id, account_id, telegram_chat_id) DO UPDATE SET access_hash = EXCLUDED.access_hash,
         title = EXCLUDED.title, username = EXCLUDED.username, member_count = EXCLUDED.member_count,
         state = EXCLUDED.state, refreshed_at = now()
       RETURNING *`,
      [input.id, input.userId, input.accountId, chat.id, chat.accessHash, chat.kind, ...describedBy(chat), input.max],
    );
    return row;
  }

  async ofUser(userId: string): Promise<ChannelRow[]> {
    return this.rows<ChannelRow>(`SELECT * FROM telegram_channels WHERE user_id = $1 ORDER BY title, id`, [userId]);
  }

  async get(userId: string, id: string): Promise<ChannelRow | undefined> {
    const [row] = await this.rows<ChannelRow>(`SELECT * FROM telegram_channels WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return row;
  }

  async ofAccount(userId: string, accountId: string): Promise<ChannelRow[]> {
    return this.rows<ChannelRow>(`SELECT * FROM telegram_channels WHERE user_id = $1 AND account_id = $2`, [
      userId,
      accountId,
    ]);
  }

  /** Stores what Telegram said of the chat now (or that it is gone). */
  async refresh(id: string, chat: TelegramChat | undefined): Promise<ChannelRow | undefined> {
    const [row] =
      chat === undefined
        ? await this.rows<ChannelRow>(
            `UPDATE telegram_channels SET state = 'gone', refreshed_at = now() WHERE id = $1 RETURNING *`,
            [id],
          )
        : await this.rows<ChannelRow>(
            `UPDATE telegram_channels SET title = $2, username = $3, member_count = $4, state = $5,
               access_hash = $6, refreshed_at = now() WHERE id = $1 RETURNING *`,
            [id, ...describedBy(chat), chat.accessHash],
          );
    return row;
  }

  async setState(id: string, state: ChannelState): Promise<void> {
    await this.rows(`UPDATE telegram_channels SET state = $2, refreshed_at = now() WHERE id = $1`, [id, state]);
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM telegram_channels WHERE id = $1 AND user_id = $2 RETURNING id`,
      [id, userId],
    );
    return rows.length > 0;
  }
}
