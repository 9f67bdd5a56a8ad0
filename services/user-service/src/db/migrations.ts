import { sqlStatements, type Migration } from '@cf/kit';

/** Versioned schema of user-service. Append only: a shipped migration is never edited. */
export const migrations: Migration[] = [
  {
    name: '0001-accounts-sessions-tokens',
    up: sqlStatements([
      `
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
      `,
    ]),
  },
  {
    // Every revocation, however it happens (logout, logout-all, session delete, password change, refresh
    // reuse, a user disabled by any UPDATE), becomes a row here and a NOTIFY: gateways follow this feed.
    // The advisory lock serialises revoking transactions, so `seq` order is commit order and a follower's
    // position (the last seq it saw) can never skip a row that commits late.
    name: '0002-session-revocation-feed',
    up: sqlStatements([
      `
        CREATE TABLE session_revocations (
          seq bigserial PRIMARY KEY,
          session_id uuid NOT NULL,
          user_id uuid NOT NULL,
          reason text,
          revoked_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX session_revocations_by_time ON session_revocations (revoked_at);
        CREATE FUNCTION session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(7215001);
          INSERT INTO session_revocations (session_id, user_id, reason) VALUES (NEW.id, NEW.user_id, NEW.revoked_reason);
          PERFORM pg_notify('session_revoked', '');
          RETURN NEW;
        END $$;
        CREATE TRIGGER sessions_revoked AFTER UPDATE OF revoked_at ON sessions
          FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION session_revoked();
        CREATE FUNCTION user_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE sessions SET revoked_at = now(), revoked_reason = 'disabled-by-admin'
            WHERE user_id = NEW.id AND revoked_at IS NULL;
          RETURN NEW;
        END $$;
        CREATE TRIGGER users_disabled AFTER UPDATE OF disabled ON users
          FOR EACH ROW WHEN (NOT OLD.disabled AND NEW.disabled) EXECUTE FUNCTION user_disabled();
      `,
    ]),
  },
  {
    // Concurrent refreshes inside the grace window return the successor already issued (recomputed by
    // HMAC from the parent); only its digest is stored.
    name: '0003-refresh-token-successor',
    up: sqlStatements(['ALTER TABLE refresh_tokens ADD COLUMN successor_hash text']),
  },
  {
    // Input limits are the same in the validator (schemas.ts), here and in the OpenAPI document: email
    // 254 (RFC 5321 path limit), display name 80; what the service derives is bounded too.
    name: '0004-length-limits',
    up: sqlStatements([
      `
        ALTER TABLE users
          ADD CONSTRAINT users_email_length CHECK (char_length(email) <= 254),
          ADD CONSTRAINT users_email_normalized_length CHECK (char_length(email_normalized) <= 254),
          ADD CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 80);
        ALTER TABLE sessions
          ADD CONSTRAINT sessions_user_agent_length CHECK (char_length(user_agent) <= 300),
          ADD CONSTRAINT sessions_ip_length CHECK (char_length(ip) <= 45);
      `,
    ]),
  },
  {
    // Issue 18: email verification and password reset by single-use links. Only a digest of each link's token is
    // stored; the token itself is an HMAC of the row id under a key derived from the Vault-held signing keys
    // (`kid` names which), so the mail worker can rebuild the link and a database reader cannot. Accounts made
    // before verification existed count as verified: they were never asked to.
    name: '0005-account-links',
    up: sqlStatements([
      `
        ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
        UPDATE users SET email_verified_at = created_at;
        CREATE TABLE action_tokens (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          purpose text NOT NULL CHECK (purpose IN ('verify-email', 'password-reset')),
          email text NOT NULL CHECK (char_length(email) <= 254),
          token_hash text NOT NULL,
          kid text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          used_at timestamptz
        );
        CREATE INDEX action_tokens_open_by_user ON action_tokens (user_id, purpose) WHERE used_at IS NULL;
        CREATE INDEX action_tokens_by_expiry ON action_tokens (expires_at);
        -- Captcha answers already accepted (by challenge signature), so each is accepted once across replicas.
        CREATE TABLE captcha_answers (id text PRIMARY KEY CHECK (char_length(id) <= 200), expires_at timestamptz NOT NULL);
        CREATE INDEX captcha_answers_by_expiry ON captcha_answers (expires_at);
      `,
    ]),
  },
  {
    // Issue 18, two-factor: TOTP secrets (Vault transit ciphertext only), hashed one-time recovery codes, WebAuthn
    // credentials, single-use WebAuthn challenges and the login's "second factor required" steps, all in PostgreSQL
    // so every replica sees the same state. Tables are described in src/db/two-factor.ts.
    name: '0006-two-factor',
    up: sqlStatements([
      `
        CREATE TABLE totp_credentials (
          user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
          secret_ciphertext text NOT NULL CHECK (char_length(secret_ciphertext) <= 400),
          confirmed_at timestamptz,
          last_used_step bigint,
          created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE recovery_codes (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          code_hash text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          used_at timestamptz,
          UNIQUE (user_id, code_hash)
        );
        CREATE TABLE webauthn_credentials (
          id text PRIMARY KEY CHECK (char_length(id) <= 1400),
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          public_key bytea NOT NULL,
          counter bigint NOT NULL DEFAULT 0,
          transports text[] NOT NULL DEFAULT '{}',
          name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
          created_at timestamptz NOT NULL DEFAULT now(),
          last_used_at timestamptz
        );
        CREATE INDEX webauthn_credentials_by_user ON webauthn_credentials (user_id);
        CREATE TABLE webauthn_challenges (
          challenge text PRIMARY KEY CHECK (char_length(challenge) <= 200),
          user_id uuid REFERENCES users(id) ON DELETE CASCADE,
          purpose text NOT NULL CHECK (purpose IN ('register', 'second-factor', 'passwordless', 'reauthenticate')),
          expires_at timestamptz NOT NULL
        );
        CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at);
        CREATE TABLE login_steps (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          token_hash text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          expires_at timestamptz NOT NULL,
          used_at timestamptz
        );
        CREATE INDEX login_steps_by_expiry ON login_steps (expires_at);
      `,
    ]),
  },
  {
    // Every audit record, queryable per account by administrators (issue 18 item 6). Written by
    // src/admin/audit-trail.ts; no foreign keys, so the trail outlives what it names. `seq` orders events
    // recorded within the same microsecond; details hold no secrets (the trail drops such keys).
    name: '0007-audit-events',
    up: sqlStatements([
      `
        CREATE TABLE audit_events (
          id uuid PRIMARY KEY,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          at timestamptz NOT NULL,
          actor_user_id uuid,
          subject_user_id uuid,
          event text NOT NULL CHECK (char_length(event) <= 80),
          ip text,
          request_id text,
          details jsonb NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_events_by_subject ON audit_events (subject_user_id, at DESC, seq DESC);
      `,
    ]),
  },
  {
    // Housekeeping deletes audit events past AUDIT_RETENTION_DAYS in batches (src/housekeeping.ts): without an
    // index on `at`, every batch would scan the whole table.
    name: '0008-audit-events-by-time',
    up: sqlStatements(['CREATE INDEX audit_events_by_time ON audit_events (at)']),
  },
  {
    // Housekeeping deletes sessions that ended (expired or revoked) and refresh tokens past their expiry, in
    // batches: each batch finds its rows by these, not by scanning tables that grow with every login and refresh.
    name: '0009-ended-sessions',
    up: sqlStatements([
      'CREATE INDEX sessions_by_expiry ON sessions (expires_at)',
      'CREATE INDEX sessions_by_revocation ON sessions (revoked_at) WHERE revoked_at IS NOT NULL',
      'CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at)',
    ]),
  },
];
