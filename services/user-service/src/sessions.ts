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
  private readonly deps: { store: UserStore; keys: SigningKeys; settings: SessionSettings };

  constructor(deps: Sessions['deps']) {
    this.deps = deps;
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.deps.settings.refreshTtlDays * 86_400_000);
  }

  accessTokenFor(
    userId: string,
    sessionId: string,
    role: Role,
    emailVerified: boolean,
  ): { token: string; expiresIn: number } {
    return signAccessToken(this.deps.keys, this.deps.settings.access, { userId, sessionId, role, emailVerified });
  }

  async start(user: UserRow, ip: string | null, userAgent: string | null): Promise<IssuedTokens> {
    const refreshToken = newRefreshToken();
    const session = await this.deps.store.createSession(
      user.id,
      this.refreshExpiry(),
      ip,
      userAgent,
      digest(refreshToken),
    );
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
    return this.deps.store.sequelize.transaction(async (transaction) => {
      const row = await this.deps.store.lockRefreshToken(hash, transaction);
      if (row === undefined || row.revoked_at !== null || row.disabled || row.expires_at.getTime() <= Date.now()) {
        return { outcome: 'invalid' } as const;
      }
      let grace = false;
      let next: string;
      if (row.used_at !== null) {
        const sinceUse = (Date.now() - row.used_at.getTime()) / 1000;
        if (sinceUse > this.deps.settings.graceSeconds) {
          await this.deps.store.revokeSession(row.session_id, row.user_id, 'refresh-token-reuse', transaction);
          return { outcome: 'reused', sessionId: row.session_id, userId: row.user_id } as const;
        }
        // A concurrent refresh by the same client (two tabs, a retry) gets the successor already issued,
        // recomputed from the parent: a replay inside the window cannot start a chain of its own.
        const issued = this.deps.keys
          .successorsOf(refreshToken)
          .find((candidate) => digest(candidate) === row.successor_hash);
        if (issued === undefined) return { outcome: 'invalid' } as const;
        next = issued;
        grace = true;
      } else {
        next = this.deps.keys.successorsOf(refreshToken)[0]!;
        await this.deps.store.markRefreshTokenUsed(hash, digest(next), transaction);
        await this.deps.store.insertRefreshToken(digest(next), row.session_id, row.expires_at, transaction);
      }
      await this.deps.store.touchSession(row.session_id, transaction);
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
