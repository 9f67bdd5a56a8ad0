import type { RowsQuery } from './rows.ts';

/** The `phone_cooldowns` table: how long Telegram asked us to leave a phone number alone. */
export class CooldownStore {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

  /** Seconds left of the phone's cooldown; 0 when there is none. */
  async of(phone: string): Promise<number> {
    const [row] = await this.rows<{ seconds: number }>(
      `SELECT ceil(extract(epoch FROM until - now()))::int AS seconds FROM phone_cooldowns
       WHERE phone = $1 AND until > now()`,
      [phone],
    );
    return row?.seconds ?? 0;
  }

  /** Extends (never shortens) the phone's cooldown to `seconds` from now. */
  async set(phone: string, seconds: number): Promise<void> {
    await this.rows<object>(
      `INSERT INTO phone_cooldowns (phone, until) VALUES ($1, now() + $2 * interval '1 second')
       ON CONFLICT (phone) DO UPDATE SET until = GREATEST(phone_cooldowns.until, EXCLUDED.until)`,
      [phone, seconds],
    );
  }
}
