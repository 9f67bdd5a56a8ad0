import { QueryTypes, type Sequelize } from 'sequelize';
import type { UserRow } from '../db/store.ts';

/** `%`, `_` and `\` match themselves in a LIKE pattern built from what an administrator typed. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** The account queries only the admin console makes: search with paging, and live session counts. */
export class UserDirectory {
  private readonly sequelize: Sequelize;

  constructor(sequelize: Sequelize) {
    this.sequelize = sequelize;
  }

  /**
   * Accounts whose email contains `search` (case-insensitive; every account when empty), oldest first,
   * `limit` from `offset`, and how many match in all.
   */
  async search(search: string, offset: number, limit: number): Promise<{ users: UserRow[]; total: number }> {
    const pattern = `%${likeLiteral(search.trim().toLowerCase())}%`;
    const users = await this.sequelize.query<UserRow>(
      `SELECT * FROM users WHERE email_normalized LIKE $1 ORDER BY created_at, id OFFSET $2 LIMIT $3`,
      { bind: [pattern, offset, limit], type: QueryTypes.SELECT },
    );
    const [count] = await this.sequelize.query<{ total: string }>(
      'SELECT count(*) AS total FROM users WHERE email_normalized LIKE $1',
      { bind: [pattern], type: QueryTypes.SELECT },
    );
    return { users, total: Number(count?.total ?? 0) };
  }

  /** Sessions of the account that are neither ended nor expired. */
  async activeSessions(userId: string): Promise<number> {
    const [row] = await this.sequelize.query<{ n: string }>(
      `SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
    return Number(row?.n ?? 0);
  }
}
