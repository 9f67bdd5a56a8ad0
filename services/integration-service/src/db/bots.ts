import { TransactionalStore } from './rows.ts';

export interface BotRow {
  id: string;
  user_id: string;
  telegram_bot_id: string;
  username: string;
  name: string;
  /** The bot token, encrypted (Vault transit in production): never in clear in PostgreSQL. */
  token_ciphertext: string;
  created_at: Date;
  updated_at: Date;
}

/** The `telegram_bots` table. Every query is filtered by the verified user id. */
export class BotStore extends TransactionalStore {
  /**
   * Adds the bot (or, for a bot the user already added, stores its new token and name) unless the user is
   * at `maxBots`; checked under a per-user advisory lock so the cap holds across replicas.
   */
  async upsert(input: {
    id: string;
    userId: string;
    telegramBotId: string;
    username: string;
    name: string;
    tokenCiphertext: string;
    maxBots: number;
  }): Promise<BotRow | undefined> {
    return this.sequelize.transaction(async (transaction) => {
      await this.rows(
        `SELECT pg_advisory_xact_lock(hashtextextended('telegram-bots:' || $1, 0)) AS locked`,
        [input.userId],
        transaction,
      );
      const [row] = await this.rows<BotRow>(
        `INSERT INTO telegram_bots (id, user_id, telegram_bot_id, username, name, token_ciphertext)
         SELECT $1, $2, $3, $4, $5, $6
         WHERE (SELECT count(*) FROM telegram_bots WHERE user_id = $2 AND telegram_bot_id <> $3) < $7
         ON CONFLICT (user_id, telegram_bot_id) DO UPDATE SET username = EXCLUDED.username,
           token_ciphertext = EXCLUDED.token_ciphertext, updated_at = now()
         RETURNING *`,
        [input.id, input.userId, input.telegramBotId, input.username, input.name, input.tokenCiphertext, input.maxBots],
        transaction,
      );
      return row;
    });
  }

  async ofUser(userId: string): Promise<BotRow[]> {
    return this.rows<BotRow>(`SELECT * FROM telegram_bots WHERE user_id = $1 ORDER BY created_at`, [userId]);
  }

  async rename(userId: string, id: string, name: string): Promise<BotRow | undefined> {
    const [row] = await this.rows<BotRow>(
      `UPDATE telegram_bots SET name = $3, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING *`,
      [id, userId, name],
    );
    return row;
  }

  /** Deletes the bot and with it the only copy of its (encrypted) token. */
  async delete(userId: string, id: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM telegram_bots WHERE id = $1 AND user_id = $2 RETURNING id`,
      [id, userId],
    );
    return rows.length > 0;
  }
}
