import type { RowsQuery } from './rows.ts';

export interface LogEntry {
  userId: string;
  operation: string;
  outcome: 'ok' | 'error';
  errorKind?: string | undefined;
  loginId?: string | undefined;
  accountId?: string | undefined;
}

/** The `integration_log` table: what each user's Telegram operations did, for their log page and statistics. */
export class IntegrationLog {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

  async add(entry: LogEntry): Promise<void> {
    await this.rows<object>(
      `INSERT INTO integration_log (user_id, operation, outcome, error_kind, login_id, account_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        entry.userId,
        entry.operation,
        entry.outcome,
        entry.errorKind ?? null,
        entry.loginId ?? null,
        entry.accountId ?? null,
      ],
    );
  }

  async page(
    userId: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; entries: Record<string, unknown>[] }> {
    const [count] = await this.rows<{ total: number }>(
      `SELECT count(*)::int AS total FROM integration_log WHERE user_id = $1`,
      [userId],
    );
    const entries = await this.rows<Record<string, unknown>>(
      `SELECT id::text AS id, at, operation, outcome, error_kind AS "errorKind", login_id AS "loginId",
         account_id AS "accountId"
       FROM integration_log WHERE user_id = $1 ORDER BY at DESC, id DESC OFFSET $2 LIMIT $3`,
      [userId, offset, limit],
    );
    return { total: count?.total ?? 0, entries };
  }

  /** Error counts by kind over the last `windowSeconds`. */
  async errorCounts(userId: string, windowSeconds: number): Promise<Record<string, number>> {
    const rows = await this.rows<{ kind: string; count: number }>(
      `SELECT error_kind AS kind, count(*)::int AS count FROM integration_log
       WHERE user_id = $1 AND outcome = 'error' AND at > now() - $2 * interval '1 second'
       GROUP BY error_kind ORDER BY error_kind`,
      [userId, windowSeconds],
    );
    return Object.fromEntries(rows.map((row) => [row.kind ?? 'Unknown', row.count]));
  }
}
