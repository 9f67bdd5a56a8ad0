import { createHmac, randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { splitToken, tokenDigest, tokenRefusal, type TokenRefusal } from '../tokens/opaque-token.ts';
import type { SigningKeys } from '../tokens/signing-keys.ts';

export type ActionPurpose = 'verify-email' | 'password-reset';

/** Why a presented link does not work. Each is a 400 with its own problem type (see routes/account-links.ts). */
export type LinkRefusal = TokenRefusal;

export interface ActionTokenRow {
  id: string;
  user_id: string;
  purpose: ActionPurpose;
  email: string;
  token_hash: string;
  kid: string;
  expires_at: Date;
  used_at: Date | null;
}

const HMAC_PURPOSE = 'account link';

/**
 * Single-use links for email verification and password reset (issue 18). A link carries `<id>.<token>`; the token
 * is HMAC-SHA-256 of the id under a key derived from the signing key `kid`, and only its SHA-256 digest is stored.
 * So the mail worker rebuilds a link from the row (no token ever sits in a queue or a table), a database reader
 * cannot forge or use one, and a link stops working when its signing key is rotated out (two rotations).
 */
export class ActionTokens {
  private readonly deps: { sequelize: Sequelize; keys: SigningKeys };

  constructor(deps: ActionTokens['deps']) {
    this.deps = deps;
  }

  private tokenOf(id: string, kid: string): string | undefined {
    const key = this.deps.keys.derivedKey(HMAC_PURPOSE, kid);
    return key === undefined ? undefined : createHmac('sha256', key.key).update(id).digest('base64url');
  }

  /**
   * Issues a link for `purpose`, valid `ttlSeconds`, and ends the user's earlier open links of that purpose (only
   * the newest works). Returns the row id; `link()` turns it into the secret the mail carries.
   */
  async issue(userId: string, purpose: ActionPurpose, email: string, ttlSeconds: number): Promise<string> {
    const id = randomUUID();
    const current = this.deps.keys.derivedKey(HMAC_PURPOSE);
    if (current === undefined) throw new Error('no signing key loaded');
    const token = createHmac('sha256', current.key).update(id).digest('base64url');
    await this.deps.sequelize.transaction(async (transaction) => {
      await this.deps.sequelize.query(
        `UPDATE action_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
        { bind: [userId, purpose], transaction },
      );
      await this.deps.sequelize.query(
        `INSERT INTO action_tokens (id, user_id, purpose, email, token_hash, kid, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))`,
        { bind: [id, userId, purpose, email, tokenDigest(token), current.kid, ttlSeconds], transaction },
      );
    });
    return id;
  }

  /** The `<id>.<token>` secret of an open link, or undefined when it is used, expired or its key is gone. */
  async link(id: string): Promise<{ secret: string; row: ActionTokenRow } | undefined> {
    const [row] = await this.deps.sequelize.query<ActionTokenRow>(
      'SELECT * FROM action_tokens WHERE id = $1 AND used_at IS NULL AND expires_at > now()',
      { bind: [id], type: QueryTypes.SELECT },
    );
    if (row === undefined) return undefined;
    const token = this.tokenOf(row.id, row.kid);
    return token === undefined ? undefined : { secret: `${row.id}.${token}`, row };
  }

  /**
   * Uses a presented `<id>.<token>` for `purpose`, at most once even under concurrent use (the row is claimed by
   * one UPDATE). Returns the row, or why it was refused. Malformed input is `invalid`, never an exception.
   */
  async consume(secret: string, purpose: ActionPurpose): Promise<ActionTokenRow | LinkRefusal> {
    const parts = splitToken(secret);
    if (parts === undefined) return 'invalid';
    const { id } = parts;
    const [row] = await this.deps.sequelize.query<ActionTokenRow>(
      'SELECT * FROM action_tokens WHERE id = $1 AND purpose = $2',
      { bind: [id, purpose], type: QueryTypes.SELECT },
    );
    if (row === undefined) return 'invalid';
    const refusal = tokenRefusal(parts.secret, row);
    if (refusal !== undefined) return refusal;
    const [claimed] = await this.deps.sequelize.query<ActionTokenRow>(
      `UPDATE action_tokens SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING *`,
      { bind: [id], type: QueryTypes.SELECT },
    );
    return claimed ?? 'used';
  }
}
