import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

/**
 * The two-factor tables (migration `0006-two-factor`):
 * - `totp_credentials`: one per user; `secret_ciphertext` is Vault transit ciphertext (`vault:v1:…`), never the
 *   secret; `confirmed_at` null while enrolment awaits its first code; `last_used_step` is the RFC 6238 time step
 *   of the last accepted code (a code is accepted only for a later step: no replay).
 * - `recovery_codes`: SHA-256 digests of one-time codes; `used_at` set on use.
 * - `webauthn_credentials`: passkeys (credential id base64url, COSE public key, signature counter).
 * - `webauthn_challenges`: issued challenges, each consumed once (a DELETE … RETURNING) before `expires_at`.
 * - `login_steps`: "second factor required" steps of a login, by digest of their token.
 */
export interface TotpRow {
  user_id: string;
  secret_ciphertext: string;
  confirmed_at: Date | null;
  last_used_step: string | null;
}

export interface PasskeyRow {
  id: string;
  user_id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

export type ChallengePurpose = 'register' | 'second-factor' | 'passwordless' | 'reauthenticate';

export interface LoginStepRow {
  id: string;
  user_id: string;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
}

/** Every query of the two-factor tables, in SQL, scoped by user. */
export class TwoFactorStore {
  readonly sequelize: Sequelize;

  constructor(sequelize: Sequelize) {
    this.sequelize = sequelize;
  }

  private async rows<Row extends object>(sql: string, bind: unknown[], transaction?: Transaction): Promise<Row[]> {
    return this.sequelize.query<Row>(sql, { bind, type: QueryTypes.SELECT, ...(transaction ? { transaction } : {}) });
  }

  private async run(sql: string, bind: unknown[], transaction?: Transaction): Promise<number> {
    const [, result] = await this.sequelize.query(sql, { bind, ...(transaction ? { transaction } : {}) });
    return (result as { rowCount?: number } | undefined)?.rowCount ?? 0;
  }

  async totp(userId: string): Promise<TotpRow | undefined> {
    return (await this.rows<TotpRow>('SELECT * FROM totp_credentials WHERE user_id = $1', [userId]))[0];
  }

  /** Starts (or restarts) an unconfirmed enrolment; a confirmed TOTP is left alone (returns false). */
  async startTotp(userId: string, secretCiphertext: string): Promise<boolean> {
    const rows = await this.rows<{ user_id: string }>(
      `INSERT INTO totp_credentials (user_id, secret_ciphertext) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext, created_at = now()
         WHERE totp_credentials.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, secretCiphertext],
    );
    return rows.length > 0;
  }

  /**
   * Records `step` as used, only when it is later than the last used one (one UPDATE: two replicas given the
   * same code at once accept it once). `confirm` also marks the enrolment confirmed. False = replayed.
   */
  async useTotpStep(userId: string, step: number, confirm: boolean): Promise<boolean> {
    const changed = await this.run(
      `UPDATE totp_credentials SET last_used_step = $2,
         confirmed_at = CASE WHEN $3::boolean THEN coalesce(confirmed_at, now()) ELSE confirmed_at END
       WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)
         AND (confirmed_at IS NOT NULL OR $3::boolean)`,
      [userId, step, confirm],
    );
    return changed > 0;
  }

  async deleteTotp(userId: string, transaction?: Transaction): Promise<number> {
    return this.run('DELETE FROM totp_credentials WHERE user_id = $1', [userId], transaction);
  }

  /** Replaces the user's recovery codes with these digests. */
  async replaceRecoveryCodes(userId: string, digests: string[]): Promise<void> {
    await this.sequelize.transaction(async (transaction) => {
      await this.run('DELETE FROM recovery_codes WHERE user_id = $1', [userId], transaction);
      for (const digest of digests) {
        await this.run(
          'INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)',
          [randomUUID(), userId, digest],
          transaction,
        );
      }
    });
  }

  /** Marks an unused code used; false when there is none (wrong or already used). */
  async useRecoveryCode(userId: string, digest: string): Promise<boolean> {
    const changed = await this.run(
      'UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL',
      [userId, digest],
    );
    return changed > 0;
  }

  async deleteRecoveryCodes(userId: string, transaction?: Transaction): Promise<void> {
    await this.run('DELETE FROM recovery_codes WHERE user_id = $1', [userId], transaction);
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    const [row] = await this.rows<{ left: string }>(
      'SELECT count(*) AS left FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
    return Number(row?.left ?? 0);
  }

  async passkeys(userId: string): Promise<PasskeyRow[]> {
    return this.rows<PasskeyRow>('SELECT * FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at', [userId]);
  }

  async passkey(credentialId: string): Promise<PasskeyRow | undefined> {
    return (await this.rows<PasskeyRow>('SELECT * FROM webauthn_credentials WHERE id = $1', [credentialId]))[0];
  }

  /** False when the credential id is registered already (to anyone). */
  async addPasskey(row: Omit<PasskeyRow, 'created_at' | 'last_used_at' | 'counter'> & { counter: number }) {
    const inserted = await this.rows<{ id: string }>(
      `INSERT INTO webauthn_credentials (id, user_id, public_key, counter, transports, name)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [row.id, row.user_id, row.public_key, row.counter, row.transports, row.name],
    );
    return inserted.length > 0;
  }

  async passkeyUsed(credentialId: string, counter: number): Promise<void> {
    await this.run('UPDATE webauthn_credentials SET counter = $2, last_used_at = now() WHERE id = $1', [
      credentialId,
      counter,
    ]);
  }

  async deletePasskey(userId: string, credentialId: string, transaction?: Transaction): Promise<number> {
    return this.run(
      'DELETE FROM webauthn_credentials WHERE user_id = $1 AND id = $2',
      [userId, credentialId],
      transaction,
    );
  }

  async deletePasskeys(userId: string, transaction?: Transaction): Promise<void> {
    await this.run('DELETE FROM webauthn_credentials WHERE user_id = $1', [userId], transaction);
  }

  async saveChallenge(challenge: string, userId: string | null, purpose: ChallengePurpose, ttlSeconds: number) {
    await this.run(
      `INSERT INTO webauthn_challenges (challenge, user_id, purpose, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [challenge, userId, purpose, ttlSeconds],
    );
  }

  /** Consumes a challenge issued for `purpose` (and `userId` when given): true once, only before it expires. */
  async consumeChallenge(challenge: string, purpose: ChallengePurpose, userId: string | null): Promise<boolean> {
    const rows = await this.rows<{ live: boolean }>(
      `DELETE FROM webauthn_challenges WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3
       RETURNING expires_at > now() AS live`,
      [challenge, purpose, userId],
    );
    return rows[0]?.live === true;
  }

  async createStep(userId: string, tokenHash: string, ttlSeconds: number): Promise<string> {
    const id = randomUUID();
    await this.run(
      `INSERT INTO login_steps (id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [id, userId, tokenHash, ttlSeconds],
    );
    return id;
  }

  async step(id: string): Promise<LoginStepRow | undefined> {
    return (await this.rows<LoginStepRow>('SELECT * FROM login_steps WHERE id = $1', [id]))[0];
  }

  /** Claims a live step once (one UPDATE); false when it was used or expired meanwhile. */
  async useStep(id: string): Promise<boolean> {
    const changed = await this.run(
      'UPDATE login_steps SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now()',
      [id],
    );
    return changed > 0;
  }
}
