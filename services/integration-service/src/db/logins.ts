import { fenceHolds, type RowsQuery } from './rows.ts';
import type { Fence } from './leases.ts';
import { resourceName } from '../resources.ts';

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
  /** Telegram asked to wait until then: steps before it are refused here without a Telegram call. */
  retry_after: Date | null;
  /** Which of the user's pending-login slots it holds (the cap); null once it is no longer pending. */
  slot: number | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
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
  'retry_after',
] as const;
export type LoginUpdate = Partial<Pick<LoginRow, (typeof LOGIN_FIELDS)[number]>>;

interface CreateDiagnostics {
  connected_accounts: number;
  /** Seconds left of the phone's cooldown; null when none. */
  cooldown_seconds: number | null;
  pending_logins: number;
  /** Seconds until the user's oldest pending login expires; null when none. */
  pending_free_in: number | null;
}

export type LoginCreated = { created: true; row: LoginRow; fence: Fence } | ({ created: false } & CreateDiagnostics);

/** The `telegram_logins` table. Reads for users are always filtered by the verified user id. */
export class LoginStore {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

  /**
   * Inserts a login and claims its lease for `owner` in one statement, when the caps allow: no cooldown on
   * the phone, fewer than `maxAccounts` connected accounts, and a free pending slot (1..`maxPending`; the
   * partial unique index makes the slot, and so the cap, hold across replicas). Returns the row and the
   * fence, or why not.
   */
  async create(input: {
    id: string;
    userId: string;
    method: LoginMethod;
    state: LoginState;
    phone: string | null;
    ttlSeconds: number;
    owner: string;
    incarnation: string;
    leaseTtlSeconds: number;
    maxPending: number;
    maxAccounts: number;
  }): Promise<LoginCreated> {
    const [result] = await this.rows<LoginRow & CreateDiagnostics & { lease_token: string | null }>(
      `WITH pending AS (
         SELECT slot, expires_at FROM telegram_logins
         WHERE user_id = $2 AND state = ANY($11) AND slot IS NOT NULL),
       free AS (
         SELECT s FROM generate_series(1, $12::int) s WHERE s NOT IN (SELECT slot FROM pending) ORDER BY s LIMIT 1),
       accounts AS (SELECT count(*)::int AS n FROM telegram_accounts WHERE user_id = $2 AND state = 'connected'),
       cooldown AS (
         SELECT ceil(extract(epoch FROM until - now()))::int AS seconds FROM phone_cooldowns
         WHERE phone = $5 AND until > now()),
       login AS (
         INSERT INTO telegram_logins (id, user_id, method, state, phone, expires_at, slot)
         SELECT $1, $2, $3, $4, $5, now() + $6 * interval '1 second', s FROM free
         WHERE (SELECT n FROM accounts) < $13 AND NOT EXISTS (SELECT 1 FROM cooldown)
         ON CONFLICT DO NOTHING RETURNING *),
       lease AS (
         INSERT INTO leases (resource, owner, incarnation, token, expires_at)
         SELECT $10, $7, $8, nextval('lease_tokens'), now() + $9 * interval '1 second' FROM login
         RETURNING token::text AS token)
       SELECT login.*, (SELECT token FROM lease) AS lease_token,
         (SELECT n FROM accounts) AS connected_accounts, (SELECT seconds FROM cooldown) AS cooldown_seconds,
         (SELECT count(*)::int FROM pending) AS pending_logins,
         (SELECT ceil(extract(epoch FROM min(expires_at) - now()))::int FROM pending) AS pending_free_in
       FROM (SELECT 1) AS one LEFT JOIN login ON true`,
      [
        input.id,
        input.userId,
        input.method,
        input.state,
        input.phone,
        input.ttlSeconds,
        input.owner,
        input.incarnation,
        input.leaseTtlSeconds,
        resourceName('login', input.id),
        PENDING_STATES,
        input.maxPending,
        input.maxAccounts,
      ],
    );
    const {
      lease_token: token,
      connected_accounts,
      cooldown_seconds,
      pending_logins,
      pending_free_in,
      ...login
    } = result!;
    const diagnostics = { connected_accounts, cooldown_seconds, pending_logins, pending_free_in };
    if (token === null) return { created: false, ...diagnostics };
    return { created: true, row: login, fence: { resource: resourceName('login', login.id), token } };
  }

  async of(userId: string, id: string): Promise<LoginRow | undefined> {
    const [row] = await this.rows<LoginRow>(`SELECT * FROM telegram_logins WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return row;
  }

  async byId(id: string): Promise<LoginRow | undefined> {
    const [row] = await this.rows<LoginRow>(`SELECT * FROM telegram_logins WHERE id = $1`, [id]);
    return row;
  }

  /** Updates a login only while `fence` is still the live lease; the new row, or undefined when the lease was lost. */
  async update(id: string, fence: Fence, update: LoginUpdate): Promise<LoginRow | undefined> {
    const entries = Object.entries(update).filter(([name]) => (LOGIN_FIELDS as readonly string[]).includes(name));
    const sets = entries.map(([name], index) => `${name} = $${index + 4}`);
    const [row] = await this.rows<LoginRow>(
      `UPDATE telegram_logins SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE id = $1 AND ${fenceHolds(2)} RETURNING *`,
      [id, fence.resource, fence.token, ...entries.map(([, value]) => value ?? null)],
    );
    return row;
  }

  /** Pending logins past their deadline become `expired`; returns their ids. */
  async expire(): Promise<{ id: string; method: LoginMethod }[]> {
    return this.rows<{ id: string; method: LoginMethod }>(
      `UPDATE telegram_logins SET state = 'expired', session_ciphertext = NULL, phone_code_hash = NULL,
         updated_at = now()
       WHERE state = ANY($1) AND expires_at < now() RETURNING id, method`,
      [PENDING_STATES],
    );
  }
}
