import type { Logger, VaultClient } from '@cf/kit';
import { sequelizeSqlExecutor } from '@cf/kit/database/job-queue';
import type { Sequelize } from 'sequelize';
import type { UserServiceConfig } from '../config.ts';
import { ActionTokens } from '../db/action-tokens.ts';
import type { UserStore } from '../db/store.ts';
import type { SigningKeys } from '../tokens/signing-keys.ts';
import { MailOutbox } from './outbox.ts';
import { smtpTransport } from './transport.ts';

export interface MailSetup {
  tokens: ActionTokens;
  mail: MailOutbox;
  verifyHours: number;
}

/**
 * The mail side of user-service from its configuration, or undefined when `SMTP_HOST` is unset. The SMTP login is
 * the static SMTP_USER/SMTP_PASSWORD (local runs) or `{ username, password }` from Vault KV at SMTP_SECRET_PATH.
 * The worker is started: every replica sends from the shared queue.
 */
export async function startMail(
  config: UserServiceConfig,
  deps: {
    sequelize: Sequelize;
    vault: VaultClient | undefined;
    keys: SigningKeys;
    store: UserStore;
    logger: Logger;
    handled: (kind: string, outcome: 'sent' | 'failed' | 'skipped') => void;
  },
): Promise<MailSetup | undefined> {
  if (config.SMTP_HOST === undefined || config.SMTP_HOST === '') {
    deps.logger.warn('SMTP_HOST is not set: no mail is sent, so email verification and password reset are off');
    return undefined;
  }
  let user = config.SMTP_USER;
  let password = config.SMTP_PASSWORD;
  if (user === undefined && deps.vault !== undefined) {
    const secret = await deps.vault.kvRead<{ username?: string; password?: string }>(
      config.VAULT_KV_MOUNT,
      config.SMTP_SECRET_PATH,
    );
    user = secret?.data.username;
    password = secret?.data.password;
  }
  const tokens = new ActionTokens({ sequelize: deps.sequelize, keys: deps.keys });
  const mail = new MailOutbox({
    executor: sequelizeSqlExecutor(deps.sequelize),
    transport: smtpTransport({
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      tls: config.SMTP_TLS,
      user,
      password,
      from: config.MAIL_FROM,
      timeoutMs: config.SMTP_TIMEOUT_SECONDS * 1000,
    }),
    tokens,
    logger: deps.logger,
    accountOf: async (email) => {
      const account = await deps.store.userByEmail(email);
      return account === undefined || account.disabled ? undefined : { id: account.id, email: account.email };
    },
    settings: {
      publicUrl: config.PUBLIC_URL.replace(/\/$/, ''),
      brand: { productName: config.PRODUCT_NAME },
      verifyHours: config.EMAIL_VERIFY_HOURS,
      resetMinutes: config.PASSWORD_RESET_MINUTES,
      retryDelaySeconds: config.MAIL_RETRY_DELAY_SECONDS,
    },
    handled: deps.handled,
  });
  await mail.start();
  return { tokens, mail, verifyHours: config.EMAIL_VERIFY_HOURS };
}
