import { sqlStatements as statements, type Migration } from '@cf/kit';

export const migrations: Migration[] = [
  {
    name: '0001-telegram',
    up: statements([
      `CREATE TABLE telegram_logins (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        method text NOT NULL CHECK (method IN ('phone', 'qr')),
        state text NOT NULL,
        phone text,
        phone_code_hash text,
        code_type text,
        next_code_type text,
        code_timeout integer,
        qr_url text,
        qr_expires_at timestamptz,
        password_hint text,
        session_ciphertext text,
        failure text,
        account_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX telegram_logins_user ON telegram_logins (user_id, created_at DESC)`,
      `CREATE TABLE telegram_accounts (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        telegram_user_id text NOT NULL,
        phone text,
        username text,
        display_name text,
        session_ciphertext text NOT NULL,
        state text NOT NULL,
        failure text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, telegram_user_id)
      )`,
      `CREATE TABLE leases (
        resource text PRIMARY KEY,
        owner text NOT NULL,
        incarnation text NOT NULL,
        token bigint NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX leases_expiry ON leases (expires_at)`,
      `CREATE SEQUENCE lease_tokens`,
      `CREATE TABLE phone_cooldowns (phone text PRIMARY KEY, until timestamptz NOT NULL)`,
      `CREATE TABLE integration_log (
        id bigserial PRIMARY KEY,
        user_id text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        operation text NOT NULL,
        outcome text NOT NULL,
        error_kind text,
        login_id uuid,
        account_id uuid
      )`,
      `CREATE INDEX integration_log_user ON integration_log (user_id, at DESC)`,
    ]),
  },
  {
    name: '0002-login-retry-after',
    up: statements([`ALTER TABLE telegram_logins ADD COLUMN retry_after timestamptz`]),
  },
  {
    name: '0003-limits',
    up: statements([
      // The pending-login cap holds across replicas: each pending login takes one of N slots per user.
      `ALTER TABLE telegram_logins ADD COLUMN slot smallint`,
      `CREATE UNIQUE INDEX telegram_logins_pending_slot ON telegram_logins (user_id, slot)
         WHERE state IN ('code_sent', 'waiting', 'password_required')`,
      // rate-limiter-flexible's table (same shape as user-service's): windows of logins and codes.
      `CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`,
    ]),
  },
  {
    name: '0004-bots',
    up: statements([
      `CREATE TABLE telegram_bots (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        telegram_bot_id text NOT NULL,
        username text NOT NULL,
        name text NOT NULL,
        token_ciphertext text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, telegram_bot_id)
      )`,
    ]),
  },
  {
    name: '0005-publishing',
    up: statements([
      `CREATE TABLE telegram_channels (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        account_id uuid NOT NULL REFERENCES telegram_accounts (id) ON DELETE CASCADE,
        telegram_chat_id text NOT NULL,
        access_hash text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('channel', 'supergroup')),
        title text NOT NULL,
        username text,
        member_count integer,
        state text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'rights_removed', 'gone')),
        refreshed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, account_id, telegram_chat_id)
      )`,
      `CREATE TABLE posts (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        text text NOT NULL,
        entities jsonb NOT NULL,
        silent boolean NOT NULL,
        scheduled_at timestamptz NOT NULL,
        time_zone text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX posts_user ON posts (user_id, scheduled_at DESC)`,
      `CREATE TABLE post_images (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        post_id uuid REFERENCES posts (id) ON DELETE CASCADE,
        position smallint,
        mime_type text NOT NULL,
        data bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX post_images_user ON post_images (user_id) WHERE post_id IS NULL`,
      `CREATE TABLE post_targets (
        id uuid PRIMARY KEY,
        post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
        user_id text NOT NULL,
        channel_id uuid NOT NULL REFERENCES telegram_channels (id) ON DELETE CASCADE,
        via text NOT NULL CHECK (via IN ('account', 'bot')),
        account_id uuid REFERENCES telegram_accounts (id) ON DELETE SET NULL,
        bot_id uuid REFERENCES telegram_bots (id) ON DELETE SET NULL,
        state text NOT NULL CHECK (state IN ('scheduled', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
        version integer NOT NULL DEFAULT 1,
        due_at timestamptz NOT NULL,
        random_ids text[] NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        message_id bigint,
        link text,
        failure text,
        sent_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX post_targets_post ON post_targets (post_id)`,
      // Per-chat pacing across replicas: the earliest time the next send to a chat may go out.
      `CREATE TABLE publish_pacing (chat_id text PRIMARY KEY, next_at timestamptz NOT NULL)`,
    ]),
  },
];
