import { createHash, randomBytes } from 'node:crypto';
import type { UserStore, UserRow } from './db/store.ts';
import { signAccessToken, type AccessTokenSettings, type Role } from './tokens/access-tokens.ts';
import type { SigningKeys } from './tokens/signing-keys.ts';

export interface SessionSettings {
  access: AccessTokenSettings;
  refreshTtlDays: number;
  graceSeconds: number;
}

export interface IssuedTokens {
  sessionId: string;
  userId: string;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
}

export type RefreshOutcome =
  | ({ outcome: 'rotated'; grace: boolean } & IssuedTokens)
  | { outcome: 'reused'; sessionId: string; userId: string }
  | { outcome: 'invalid' };

/** Refresh tokens are stored only as this digest: a database leak yields no usable token. */
export function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Sessions are refresh-token families. Every refresh rotates the token; presenting a rotated token again
 * after the grace window means it was stolen (or replayed), so the whole family is revoked.
 */
export class Sessions {
  private readonly store: UserStore;
  private readonly keys: SigningKeys;
  private readonly settings: SessionSettings;

  constructor(store: UserStore, keys: SigningKeys, settings: SessionSettings) {
    this.store = store;
    this.keys = keys;
    this.settings = settings;
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.settings.refreshTtlDays * 86_400_000);
  }

  accessTokenFor(
    userId: string,
    sessionId: string,
    role: Role,
    emailVerified: boolean,
  ): { token: string; expiresIn: number } {
    return signAccessToken(this.keys, this.settings.access, { userId, sessionId, role, emailVerified });
  }

  async start(user: UserRow, ip: string | null, userAgent: string | null): Promise<IssuedTokens> {
    const refreshToken = newRefreshToken();
    const session = await this.store.createSession(user.id, this.refreshExpiry(), ip, userAgent, digest(refreshToken));
    const access = this.accessTokenFor(user.id, session.id, user.role, user.email_verified_at !== null);
    return {
      sessionId: session.id,
      userId: user.id,
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
    };
  }

  async refresh(refreshToken: string): Promise<RefreshOutcome> {
    const hash = digest(refreshToken);
    return this.store.sequelize.transaction(async (transaction) => {
      const row = await this.store.lockRefreshToken(hash, transaction);
      if (row === undefined || row.revoked_at !== null || row.disabled || row.expires_at.getTime() <= Date.now()) {
        return { outcome: 'invalid' } as const;
      }
      let grace = false;
      let next: string;
      if (row.used_at !== null) {
        const sinceUse = (Date.now() - row.used_at.getTime()) / 1000;
        if (sinceUse > this.settings.graceSeconds) {
          await this.store.revokeSession(row.session_id, row.user_id, 'refresh-token-reuse', transaction);
          return { outcome: 'reused', sessionId: row.session_id, userId: row.user_id } as const;
        }
        // A concurrent refresh by the same client (two tabs, a retry) gets the successor already issued,
        // recomputed from the parent: a replay inside the window cannot start a chain of its own.
        const issued = this.keys
          .successorsOf(refreshToken)
          .find((candidate) => digest(candidate) === row.successor_hash);
        if (issued === undefined) return { outcome: 'invalid' } as const;
        next = issued;
        grace = true;
      } else {
        next = this.keys.successorsOf(refreshToken)[0]!;
        await this.store.markRefreshTokenUsed(hash, digest(next), transaction);
        await this.store.insertRefreshToken(digest(next), row.session_id, row.expires_at, transaction);
      }
      await this.store.touchSession(row.session_id, transaction);
      const access = this.accessTokenFor(row.user_id, row.session_id, row.role, row.email_verified);
      return {
        outcome: 'rotated',
        grace,
        sessionId: row.session_id,
        userId: row.user_id,
        accessToken: access.token,
        expiresIn: access.expiresIn,
        refreshToken: next,
      } as const;
    });
  }
}
