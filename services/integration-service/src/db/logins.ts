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
] as const;
export type LoginUpdate = Partial<Pick<LoginRow, (typeof LOGIN_FIELDS)[number]>>;

/** The `telegram_logins` table. Reads for users are always filtered by the verified user id. */
export class LoginStore {
  private readonly rows: RowsQuery;

  constructor(rows: RowsQuery) {
    this.rows = rows;
  }

  /**
   * Inserts a login and claims its lease for `owner` in one statement; returns the row and the fence.
   * The lease row is new, so the claim cannot fail.
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
  }): Promise<{ row: LoginRow; fence: Fence }> {
    const [row] = await this.rows<LoginRow & { lease_token: string }>(
      `WITH login AS (
         INSERT INTO telegram_logins (id, user_id, method, state, phone, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second') RETURNING *),
       lease AS (
         INSERT INTO leases (resource, owner, incarnation, token, expires_at)
         SELECT $10, $7, $8, nextval('lease_tokens'), now() + $9 * interval '1 second' FROM login
         RETURNING resource, token::text AS token)
       SELECT login.*, lease.token AS lease_token FROM login, lease`,
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
      ],
    );
    const { lease_token: token, ...login } = row!;
    return { row: login, fence: { resource: resourceName('login', login.id), token } };
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
