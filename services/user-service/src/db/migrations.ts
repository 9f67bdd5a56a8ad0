import type { Migration } from '@cf/kit';

/** Versioned schema of user-service. Append only: a shipped migration is never edited. */
export const migrations: Migration[] = [
  {
    name: '0001-accounts-sessions-tokens',
    async up({ sequelize }) {
      await sequelize.query(`
        CREATE TABLE users (
          id uuid PRIMARY KEY,
          email text NOT NULL,
          email_normalized text NOT NULL UNIQUE,
          password_hash text NOT NULL,
          display_name text,
          role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
          disabled boolean NOT NULL DEFAULT false,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE sessions (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          created_at timestamptz NOT NULL DEFAULT now(),
          last_used_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          ip text,
          user_agent text,
          revoked_at timestamptz,
          revoked_reason text
        );
        CREATE INDEX sessions_active_by_user ON sessions (user_id) WHERE revoked_at IS NULL;
        CREATE TABLE refresh_tokens (
          token_hash text PRIMARY KEY,
          session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
          created_at timestamptz NOT NULL DEFAULT now(),
          used_at timestamptz,
          expires_at timestamptz NOT NULL
        );
        CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);
        CREATE TABLE rate_limits (
          key varchar(255) PRIMARY KEY,
          points integer NOT NULL DEFAULT 0,
          expire bigint
        );
      `);
    },
  },
];
