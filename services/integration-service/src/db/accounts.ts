import { resourceName } from '../resources.ts';
import type { Fence } from './leases.ts';
import type { LoginRow } from './logins.ts';
import { fenceHolds, TransactionalStore } from './rows.ts';

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

/** What a finished login stores: the Telegram user, the session and the lease that moves to the account. */
export interface CompletedLogin {
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
  /** The user's cap of connected accounts; the same Telegram user connecting again does not count twice. */
  maxAccounts: number;
}

export type Completion =
  { done: true; login: LoginRow; fence: Fence } | { done: false; why: 'lease-lost' | 'account-cap' };

/** The `telegram_accounts` table. Reads for users are always filtered by the verified user id. */
export class AccountStore extends TransactionalStore {
  /**
   * Finishes a login in one transaction, fenced by the login's lease: stores the account (or refreshes
   * the session of the same Telegram user for this user), marks the login connected and moves the
   * ownership from the login to the account — unless the login's lease was lost or the user's account cap
   * is reached (checked under a per-user advisory lock, so concurrent completions on any replica see it).
   */
  async completeLogin(input: CompletedLogin): Promise<Completion> {
    return this.sequelize.transaction(async (transaction) => {
      const fenced = await this.rows<{ resource: string }>(
        `SELECT resource, pg_advisory_xact_lock(hashtextextended('telegram-accounts:' || $3, 0)) AS locked
         FROM leases WHERE resource = $1 AND token = $2 AND expires_at > now() FOR UPDATE`,
        [input.fence.resource, input.fence.token, input.userId],
        transaction,
      );
      if (fenced.length === 0) return { done: false, why: 'lease-lost' };
      // One statement: the account, the login, the account's lease, and the login's lease released.
      const [row] = await this.rows<LoginRow & { lease_token: string }>(
        `WITH account AS (
           INSERT INTO telegram_accounts (id, user_id, telegram_user_id, phone, username, display_name,
             session_ciphertext, state)
           SELECT $1, $2, $3, $4, $5, $6, $7, 'connected'
           WHERE (SELECT count(*) FROM telegram_accounts
                  WHERE user_id = $2 AND state = 'connected' AND telegram_user_id <> $3) < $14
           ON CONFLICT (user_id, telegram_user_id) DO UPDATE SET session_ciphertext = EXCLUDED.session_ciphertext,
             phone = EXCLUDED.phone, username = EXCLUDED.username, display_name = EXCLUDED.display_name,
             state = 'connected', failure = NULL, updated_at = now()
           RETURNING id),
         login AS (
           UPDATE telegram_logins SET state = 'connected', account_id = (SELECT id FROM account),
             session_ciphertext = NULL, phone_code_hash = NULL, qr_url = NULL, updated_at = now()
           WHERE id = $8 AND EXISTS (SELECT 1 FROM account) RETURNING *),
         lease AS (
           INSERT INTO leases (resource, owner, incarnation, token, expires_at)
           SELECT 'account:' || id, $9, $10, nextval('lease_tokens'), now() + $11 * interval '1 second' FROM account
           ON CONFLICT (resource) DO UPDATE SET owner = EXCLUDED.owner, incarnation = EXCLUDED.incarnation,
             token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
           RETURNING token::text AS token),
         released AS (
           UPDATE leases SET expires_at = now() - interval '1 millisecond'
           WHERE resource = $12 AND token = $13 AND EXISTS (SELECT 1 FROM account) RETURNING resource)
         SELECT login.*, (SELECT token FROM lease) AS lease_token FROM login`,
        [
          input.accountId,
          input.userId,
          input.telegramUserId,
          input.phone,
          input.username,
          input.displayName,
          input.sessionCiphertext,
          input.loginId,
          input.owner,
          input.incarnation,
          input.ttlSeconds,
          input.fence.resource,
          input.fence.token,
          input.maxAccounts,
        ],
        transaction,
      );
      if (row === undefined) return { done: false, why: 'account-cap' };
      const { lease_token: token, ...login } = row;
      return { done: true, login, fence: { resource: resourceName('account', login.account_id!), token } };
    });
  }

  async ofUser(userId: string): Promise<AccountRow[]> {
    return this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE user_id = $1 ORDER BY created_at`, [userId]);
  }

  async of(userId: string, id: string): Promise<AccountRow | undefined> {
    const [row] = await this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE id = $1 AND user_id = $2`, [
      id,
      userId,
    ]);
    return row;
  }

  async byIds(ids: string[]): Promise<AccountRow[]> {
    return this.rows<AccountRow>(`SELECT * FROM telegram_accounts WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async setState(id: string, fence: Fence, state: AccountState, failure: string | null): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `UPDATE telegram_accounts SET state = $4, failure = $5, updated_at = now()
       WHERE id = $1 AND ${fenceHolds(2)} RETURNING id`,
      [id, fence.resource, fence.token, state, failure],
    );
    return rows.length > 0;
  }

  async delete(id: string, fence: Fence): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM telegram_accounts WHERE id = $1 AND ${fenceHolds(2)} RETURNING id`,
      [id, fence.resource, fence.token],
    );
    return rows.length > 0;
  }

  /** An account whose session Telegram already ended has nothing to log out: its row just goes. */
  async deleteDead(userId: string, id: string): Promise<boolean> {
    const rows = await this.rows<{ id: string }>(
      `DELETE FROM telegram_accounts WHERE id = $1 AND user_id = $2 AND state <> 'connected' RETURNING id`,
      [id, userId],
    );
    return rows.length > 0;
  }
}
