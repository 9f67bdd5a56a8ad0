import { QueryTypes, type Sequelize } from 'sequelize';

export type LoginMethod = 'phone' | 'qr';
export type LoginState = 'code_sent' | 'waiting' | 'password_required' | 'connected' | 'failed' | 'expired';
export const PENDING_STATES: readonly LoginState[] = ['code_sent', 'waiting', 'password_required'];

export interface LoginRow {
  id: string;
  user_id: string;
  method: LoginMethod;
  state: LoginState;
  phone: string | null;
  phone_code_hash: string | null;
  code_type: string | null;
  next_code_type: string | null;
  code_timeout: number | null;
  qr_url: string | null;
  qr_expires_at: Date | null;
  password_hint: string | null;
  session_ciphertext: string | null;
  failure: string | null;
  account_id: string | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

export type AccountState = 'connected' | 'revoked' | 'failed';

export interface AccountRow {
  id: string;
  user_id: string;
  telegram_user_id: string;
  phone: string | null;
  username: string | null;
  display_name: string | null;
  session_ciphertext: string;
  state: AccountState;
  failure: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface LeaseRow {
  resource: string;
  owner: string;
  incarnation: string;
  token: string;
  expires_at: Date;
  live: boolean;
}

/** A held lease: the fencing token proves the holder is still the owner when it writes. */
export interface Fence {
  resource: string;
  token: string;
}

const LOGIN_FIELDS = [
  'state',
  'phone',
  'phone_code_hash',
  'code_type',
  'next_code_type',
  'code_timeout',
  'qr_url',
  'qr_expires_at',
  'password_hint',
  'session_ciphertext',
  'failure',
  'account_id',
] as const;
export type LoginUpdate = Partial<Pick<LoginRow, (typeof LOGIN_FIELDS)[number]>>;

/** Every query of the service; user-facing reads are always filtered by the verified user id. */
export class Store {
  readonly sequelize: Sequelize;

  constructor(sequelize: Sequelize) {
    this.sequelize = sequelize;
  }

  async rows<Row extends object>(sql: string, bind: unknown[] = []): Promise<Row[]> {
    return this.sequelize.query<Row>(sql, { bind, type: QueryTypes.SELECT });
  }

  // --- logins ---------------------------------------------------------------------------------------

  async createLogin(row: {
    id: string;
    userId: string;
    method: LoginMethod;
    state: LoginState;
    phone: string | null;
    ttlSeconds: number;
  }): Promise<void> {
    await this.rows<object>(
      `INSERT INTO telegram_logins (id, user_id, method, state, phone, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second')`,
      [row.id, row.userId, row.method, row.state, row.phone, row.ttlSeconds],
    );
  }

  async loginOf(userId: string, id: string): Promise<LoginRow | undefined> {
    const [row] = await this.rows<LoginRow>(`SELECT * FROM telegram_logins WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return row;
  }

  async loginById(id: string): Promise<LoginRow | undefined> {
    const [row] = await this.rows<LoginRow>(`SELECT * FROM telegram_logins WHERE id = $1`, [id]);
    return row;
  }

  /** Updates a login only while `fence` is still the live lease; false means the lease was lost. */
  async updateLogin(id: string, fence: Fence, update: LoginUpdate): Promise<boolean> {
    const entries = Object.entries(update).filter(([name]) => (LOGIN_FIELDS as readonly string[]).includes(name));
    const sets = entries.map(([name], index) => `${name} = $${index + 4}`);
    const updated = await this.rows<{ id: string }>(
      `UPDATE telegram_logins SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE id = $1 AND EXISTS (
         SELECT 1 FROM leases WHERE resource = $2 AND token = $3 AND expires_at > now())
       RETURNING id`,
      [id, fence.resource, fence.token, ...entries.map(([, value]) => value ?? null)],
    );
    return updated.length > 0;
  }

  /** Pending logins past their deadline become `expired`; returns their ids. */
  async expireLogins(): Promise<{ id: string; method: LoginMethod }[]> {
    return this.rows<{ id: string; method: LoginMethod }>(
      `UPDATE telegram_logins SET state = 'expired', session_ciphertext = NULL, phone_code_hash = NULL,
         updated_at = now()
       WHERE state = ANY($1) AND expires_at < now() RETURNING id, method`,
      [PENDING_STATES],
    );
  }

  // --- accounts -------------------------------------------------------------------------------------

  /**
   * Finishes a login in one transaction, fenced by the login's lease: stores the account (or refreshes
   * the session of the same Telegram user for this user), marks the login connected and moves the
   * ownership from the login to the account.
   */
  async completeLogin(input: {
    loginId: string;
    fence: Fence;
    accountId: string;
    userId: string;
    telegramUserId: string;
    phone: string | null;
    username: string | null;
    displayName: string | null;
    sessionCiphertext: string;
    owner: string;
    incarnation: string;
    ttlSeconds: number;
  }): Promise<{ accountId: string; token: string } | undefined> {
    return this.sequelize.transaction(async (transaction) => {
      const q = <Row extends object>(sql: string, bind: unknown[]) =>
        this.sequelize.query<Row>(sql, { bind, type: QueryTypes.SELECT, transaction });
      const fenced = await q<{ resource: string }>(
        `SELECT resource FROM leases WHERE resource = $1 AND token = $2 AND expires_at > now() FOR UPDATE`,
        [input.fence.resource, input.fence.token],
      );
      if (fenced.length === 0) return undefined;
      const [account] = await q<{ id: string }>(
        `INSERT INTO telegram_accounts (id, user_id, telegram_user_id, phone, username, display_name,
           session_ciphertext, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'connected')
         ON CONFLICT (user_id, telegram_user_id) DO UPDATE SET session_ciphertext = EXCLUDED.session_ciphertext,
           phone = EXCLUDED.phone, username = EXCLUDED.username, display_name = EXCLUDED.display_name,
           state = 'connected', failure = NULL, updated_at = now()
         RETURNING id`,
        [
          input.accountId,
          input.userId,
          input.telegramUserId,
          input.phone,
          input.username,
          input.displayName,
          input.sessionCiphertext,
        ],
      );
      const accountId = account!.id;
      await q<object>(
        `UPDATE telegram_logins SET state = 'connected', account_id = $2, session_ciphertext = NULL,
           phone_code_hash = NULL, qr_url = NULL, updated_at = now() WHERE id = $1`,
        [input.loginId, accountId],
      );
      const [lease] = await q<{ token: string }>(
        `INSERT INTO leases (resource, owner, incarnation, token, expires_at)
         VALUES ($1, $2, $3, nextval('lease_tokens'), now() + $4 * interval '1 second')
         ON CONFLICT (resource) DO UPDATE SET owner = EXCLUDED.owner, incarnation = EXCLUDED.incarnation,
           token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
         RETURNING token`,
        [`account:${accountId}`, input.owner, input.incarnation, input.ttlSeconds],
      );
      await q<object>(
        `UPDATE leases SET expires_at = now() - interval '1 millisecond' WHERE resource = $1 AND token = $2`,
        [input.fence.resource, input.fence.token],
      );
      return { accountId, token: lease!.token };
    });
  }

  async accountsOf(userId: string): Promise<AccountRow[]> {
    return this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE user_id = $1 ORDER BY created_at`, [userId]);
  }

  async accountOf(userId: string, id: string): Promise<AccountRow | undefined> {
    const [row] = await this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return row;
  }

  async accountById(id: string): Promise<AccountRow | undefined> {
    const [row] = await this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE id = $1`, [id]);
    return row;
  }

  async accountsByIds(ids: string[]): Promise<AccountRow[]> {
    return this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async setAccountState(id: string, fence: Fence, state: AccountState, failure: string | null): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE telegram_accounts SET state = $4, failure = $5, updated_at = now()
       WHERE id = $1 AND EXISTS (SELECT 1 FROM leases WHERE resource = $2 AND token = $3 AND expires_at > now())
       RETURNING id`,
      [id, fence.resource, fence.token, state, failure],
    );
    return rows.length > 0;
  }

  async deleteAccount(id: string, fence: Fence): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM telegram_accounts
       WHERE id = $1 AND EXISTS (SELECT 1 FROM leases WHERE resource = $2 AND token = $3 AND expires_at > now())
       RETURNING id`,
      [id, fence.resource, fence.token],
    );
    return rows.length > 0;
  }

  /** An account whose session Telegram already ended has nothing to log out: its row just goes. */
  async deleteDeadAccount(userId: string, id: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM telegram_accounts WHERE id = $1 AND user_id = $2 AND state <> 'connected' RETURNING id`,
      [id, userId],
    );
    return rows.length > 0;
  }

  // --- leases ---------------------------------------------------------------------------------------

  async lease(resource: string): Promise<LeaseRow | undefined> {
    const [row] = await this.rows<LeaseRow>(
      `SELECT resource, owner, incarnation, token::text AS token, expires_at, expires_at > now() AS live
       FROM leases WHERE resource = $1`,
      [resource],
    );
    return row;
  }

  /**
   * Claims every free (absent or expired) lease among `resources` for this incarnation, in one statement.
   * Returns what was claimed with a new fencing token and who held it before.
   */
  async claim(
    resources: string[],
    owner: string,
    incarnation: string,
    ttlSeconds: number,
  ): Promise<{ resource: string; token: string; previous: string | null }[]> {
    if (resources.length === 0) return [];
    return this.rows(
      `WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS resource),
       previous AS (SELECT l.resource, l.owner FROM leases l JOIN wanted w USING (resource))
       INSERT INTO leases (resource, owner, incarnation, token, expires_at)
       SELECT resource, $2, $3, nextval('lease_tokens'), now() + $4 * interval '1 second' FROM wanted
       ON CONFLICT (resource) DO UPDATE SET owner = EXCLUDED.owner, incarnation = EXCLUDED.incarnation,
         token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
       WHERE leases.expires_at <= now()
       RETURNING resource, token::text AS token, (SELECT owner FROM previous p WHERE p.resource = leases.resource) AS previous`,
      [resources, owner, incarnation, ttlSeconds],
    );
  }

  /** Extends the held leases; returns the resources still ours (the rest were lost). */
  async renew(fences: Fence[], ttlSeconds: number): Promise<Set<string>> {
    if (fences.length === 0) return new Set();
    const rows = await this.rows<{ resource: string }>(
      `UPDATE leases l SET expires_at = now() + $3 * interval '1 second'
       FROM unnest($1::text[], $2::bigint[]) AS h(resource, token)
       WHERE l.resource = h.resource AND l.token = h.token AND l.expires_at > now()
       RETURNING l.resource`,
      [fences.map((fence) => fence.resource), fences.map((fence) => fence.token), ttlSeconds],
    );
    return new Set(rows.map((row) => row.resource));
  }

  /** Lets others claim at once (expired now), keeping the row so the token sequence stays monotonic. */
  async release(fences: Fence[]): Promise<void> {
    if (fences.length === 0) return;
    await this.rows<object>(
      `UPDATE leases l SET expires_at = now() - interval '1 millisecond'
       FROM unnest($1::text[], $2::bigint[]) AS h(resource, token)
       WHERE l.resource = h.resource AND l.token = h.token`,
      [fences.map((fence) => fence.resource), fences.map((fence) => fence.token)],
    );
  }

  /** Accounts and pending logins nobody holds: what a surviving pod adopts. */
  async orphans(limit: number): Promise<string[]> {
    const rows = await this.rows<{ resource: string }>(
      `(SELECT 'account:' || a.id AS resource FROM telegram_accounts a
         LEFT JOIN leases l ON l.resource = 'account:' || a.id
        WHERE a.state = 'connected' AND (l.resource IS NULL OR l.expires_at <= now()) LIMIT $1)
       UNION ALL
       (SELECT 'login:' || g.id FROM telegram_logins g
         LEFT JOIN leases l ON l.resource = 'login:' || g.id
        WHERE g.state = ANY($2) AND g.expires_at > now() AND g.session_ciphertext IS NOT NULL
          AND (l.resource IS NULL OR l.expires_at <= now()) LIMIT $1)`,
      [limit, PENDING_STATES],
    );
    return rows.map((row) => row.resource);
  }

  // --- flood cooldowns, integration log ----------------------------------------------------------------

  async cooldown(phone: string): Promise<number> {
    const [row] = await this.rows<{ seconds: number }>(
      `SELECT ceil(extract(epoch FROM until - now()))::int AS seconds FROM phone_cooldowns
       WHERE phone = $1 AND until > now()`,
      [phone],
    );
    return row?.seconds ?? 0;
  }

  async setCooldown(phone: string, seconds: number): Promise<void> {
    await this.rows<object>(
      `INSERT INTO phone_cooldowns (phone, until) VALUES ($1, now() + $2 * interval '1 second')
       ON CONFLICT (phone) DO UPDATE SET until = GREATEST(phone_cooldowns.until, EXCLUDED.until)`,
      [phone, seconds],
    );
  }

  async log(entry: {
    userId: string;
    operation: string;
    outcome: 'ok' | 'error';
    errorKind?: string | undefined;
    loginId?: string | undefined;
    accountId?: string | undefined;
  }): Promise<void> {
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

  async logPage(
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
