import { randomUUID } from 'node:crypto';
import { QueryTypes, UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import type { Role } from '../tokens/access-tokens.ts';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  display_name: string | null;
  role: Role;
  disabled: boolean;
  created_at: Date;
  /** When the current address was proven by a link; null until then (issue 18). */
  email_verified_at: Date | null;
}

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
  revoked_at: Date | null;
}

export interface RefreshTokenRow {
  token_hash: string;
  session_id: string;
  used_at: Date | null;
  expires_at: Date;
  /** Digest of the successor issued when this token was used. */
  successor_hash: string | null;
}

/** Email as typed for display; compared and unique after trimming and lower-casing. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/**
 * Every query user-service makes, in SQL, through sequelize's pool. Kept in one place so that each
 * query's filter (by user, by session) can be read at a glance.
 */
export class UserStore {
  readonly sequelize: Sequelize;
  /** Told how many sessions each revocation ended, by reason (for `user_sessions_revoked_total`). */
  private readonly onRevoked: (reason: string, count: number) => void;

  constructor(sequelize: Sequelize, onRevoked: (reason: string, count: number) => void = () => {}) {
    this.sequelize = sequelize;
    this.onRevoked = onRevoked;
  }

  private async one<Row extends object>(
    sql: string,
    bind: unknown[],
    transaction?: Transaction,
  ): Promise<Row | undefined> {
    const rows = await this.sequelize.query<Row>(sql, {
      bind,
      type: QueryTypes.SELECT,
      ...(transaction ? { transaction } : {}),
    });
    return rows[0];
  }

  private async run(sql: string, bind: unknown[], transaction?: Transaction): Promise<number> {
    const [, result] = await this.sequelize.query(sql, { bind, ...(transaction ? { transaction } : {}) });
    return (result as { rowCount?: number } | undefined)?.rowCount ?? 0;
  }

  /** Returns undefined when the email is taken. */
  async createUser(email: string, passwordHash: string, displayName: string | null): Promise<UserRow | undefined> {
    return this.one<UserRow>(
      `INSERT INTO users (id, email, email_normalized, password_hash, display_name) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email_normalized) DO NOTHING RETURNING *`,
      [randomUUID(), email.trim(), normalizeEmail(email), passwordHash, displayName],
    );
  }

  userByEmail(email: string): Promise<UserRow | undefined> {
    return this.one<UserRow>('SELECT * FROM users WHERE email_normalized = $1', [normalizeEmail(email)]);
  }

  /** Marks the account's address verified, only while it is still `email`; the row, or undefined. */
  markEmailVerified(userId: string, email: string): Promise<UserRow | undefined> {
    return this.one<UserRow>(
      `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
       WHERE id = $1 AND email_normalized = $2 RETURNING *`,
      [userId, normalizeEmail(email)],
    );
  }

  /**
   * Gives the account a new address, unverified until its link is followed; undefined when another account has it
   * (checked here and by the unique index, which also decides a race between two changes).
   */
  async changeEmail(userId: string, email: string): Promise<UserRow | undefined> {
    try {
      return await this.one<UserRow>(
        `UPDATE users SET email = $2, email_normalized = $3, email_verified_at = NULL, updated_at = now()
         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email_normalized = $3 AND id <> $1) RETURNING *`,
        [userId, email.trim(), normalizeEmail(email)],
      );
    } catch (error) {
      if (error instanceof UniqueConstraintError) return undefined;
      throw error;
    }
  }

  userById(id: string): Promise<UserRow | undefined> {
    return this.one<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
  }

  async setPasswordHash(userId: string, hash: string): Promise<void> {
    await this.run('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [userId, hash]);
  }

  async setDisplayName(userId: string, displayName: string | null): Promise<UserRow | undefined> {
    return this.one<UserRow>('UPDATE users SET display_name = $2, updated_at = now() WHERE id = $1 RETURNING *', [
      userId,
      displayName,
    ]);
  }

  async updateAdminFields(userId: string, fields: { role?: Role; disabled?: boolean }): Promise<UserRow | undefined> {
    return this.one<UserRow>(
      `UPDATE users SET role = COALESCE($2, role), disabled = COALESCE($3, disabled), updated_at = now()
       WHERE id = $1 RETURNING *`,
      [userId, fields.role ?? null, fields.disabled ?? null],
    );
  }

  async listUsers(offset: number, limit: number): Promise<{ users: UserRow[]; total: number }> {
    const users = await this.sequelize.query<UserRow>(
      'SELECT * FROM users ORDER BY created_at, id OFFSET $1 LIMIT $2',
      {
        bind: [offset, limit],
        type: QueryTypes.SELECT,
      },
    );
    const count = await this.one<{ total: string }>('SELECT count(*) AS total FROM users', []);
    return { users, total: Number(count?.total ?? 0) };
  }

  /** A session and its first refresh token, in one round trip. */
  async createSession(
    userId: string,
    expiresAt: Date,
    ip: string | null,
    userAgent: string | null,
    refreshTokenHash: string,
  ): Promise<SessionRow> {
    const row = await this.one<SessionRow>(
      `WITH s AS (
         INSERT INTO sessions (id, user_id, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5) RETURNING *
       ), t AS (
         INSERT INTO refresh_tokens (token_hash, session_id, expires_at) SELECT $6, id, expires_at FROM s
       )
       SELECT * FROM s`,
      [randomUUID(), userId, expiresAt, ip?.slice(0, 45) ?? null, userAgent?.slice(0, 300) ?? null, refreshTokenHash],
    );
    if (row === undefined) throw new Error('session insert returned nothing');
    return row;
  }

  /** The one query every authenticated request makes: is this session live and its user enabled? */
  async sessionActive(sessionId: string, userId: string): Promise<boolean> {
    const row = await this.one<{ ok: boolean }>(
      `SELECT true AS ok FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`,
      [sessionId, userId],
    );
    return row !== undefined;
  }

  activeSessions(userId: string): Promise<SessionRow[]> {
    return this.sequelize.query<SessionRow>(
      `SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY last_used_at DESC`,
      { bind: [userId], type: QueryTypes.SELECT },
    );
  }

  /** Revokes one session of one user; the user filter makes another user's session id a no-op. */
  async revokeSession(sessionId: string, userId: string, reason: string, transaction?: Transaction): Promise<number> {
    return this.counted(
      reason,
      this.run(
        `UPDATE sessions SET revoked_at = now(), revoked_reason = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`,
        [sessionId, userId, reason],
        transaction,
      ),
    );
  }

  private async counted(reason: string, ended: Promise<number>): Promise<number> {
    const count = await ended;
    this.onRevoked(reason, count);
    return count;
  }

  async revokeAllSessions(userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    return this.counted(
      reason,
      this.run(
        `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
       WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
        [userId, reason, exceptSessionId ?? null],
      ),
    );
  }

  async insertRefreshToken(
    tokenHash: string,
    sessionId: string,
    expiresAt: Date,
    transaction?: Transaction,
  ): Promise<void> {
    await this.run(
      'INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)',
      [tokenHash, sessionId, expiresAt],
      transaction,
    );
  }

  /** Locks the token row so concurrent refreshes of one token are decided one at a time. */
  lockRefreshToken(
    tokenHash: string,
    transaction: Transaction,
  ): Promise<
    | (RefreshTokenRow & {
        user_id: string;
        revoked_at: Date | null;
        disabled: boolean;
        role: Role;
        email_verified: boolean;
      })
    | undefined
  > {
    return this.one(
      `SELECT t.*, s.user_id, s.revoked_at, u.disabled, u.role, u.email_verified_at IS NOT NULL AS email_verified
       FROM refresh_tokens t
       JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
       WHERE t.token_hash = $1 FOR UPDATE OF t`,
      [tokenHash],
      transaction,
    );
  }

  async markRefreshTokenUsed(tokenHash: string, successorHash: string, transaction: Transaction): Promise<void> {
    await this.run(
      'UPDATE refresh_tokens SET used_at = now(), successor_hash = $2 WHERE token_hash = $1 AND used_at IS NULL',
      [tokenHash, successorHash],
      transaction,
    );
  }

  async touchSession(sessionId: string, transaction: Transaction): Promise<void> {
    await this.run('UPDATE sessions SET last_used_at = now() WHERE id = $1', [sessionId], transaction);
  }

  sessionOfRefreshToken(tokenHash: string): Promise<{ session_id: string; user_id: string } | undefined> {
    return this.one(
      `SELECT t.session_id, s.user_id FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
  }
}
