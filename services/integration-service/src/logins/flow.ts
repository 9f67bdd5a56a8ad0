import { randomUUID } from 'node:crypto';
import { HttpProblem, type Logger } from '@cf/kit';
import type { SessionCipher } from '../cipher.ts';
import type { LoginMethod, LoginRow, LoginState, LoginUpdate, Store } from '../db/store.ts';
import type { LogEntry } from '../db/integration-log.ts';
import type { Limits } from '../limits.ts';
import type { TelegramMetrics } from '../metrics.ts';
import type { Held, LeaseHolder } from '../ownership/holder.ts';
import { resourceName } from '../resources.ts';
import { KINDS } from '../telegram/errors.ts';
import { asTelegramError, TelegramError, type TelegramPort, type TelegramUser } from '../telegram/port.ts';
import type { WorkDeps } from '../work-deps.ts';

export interface LoginOptions {
  loginTtlSeconds: number;
  /** Re-export a QR token this long before it expires. */
  qrRefreshMarginSeconds: number;
}

export interface LoginDeps extends WorkDeps {
  limits: Limits;
  options: LoginOptions;
}

/**
 * The steps every login shares, phone or QR: begin (row, lease, fresh connection), fenced saves, failure,
 * the two-step password, and completion into an account. Every write to a held login goes through here.
 */
export class LoginFlow {
  readonly holder: LeaseHolder;
  readonly store: Store;
  readonly cipher: SessionCipher;
  readonly metrics: TelegramMetrics;
  readonly logger: Logger;
  readonly options: LoginOptions;
  readonly limits: Limits;
  private readonly port: TelegramPort;

  constructor(deps: LoginDeps) {
    this.holder = deps.holder;
    this.store = deps.store;
    this.cipher = deps.cipher;
    this.port = deps.port;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.options = deps.options;
    this.limits = deps.limits;
  }

  log(entry: LogEntry): Promise<void> {
    return this.store.log.add(entry);
  }

  /** Opens a connection on a saved session (or a fresh one). */
  open(session: string | undefined) {
    return this.port.open(session);
  }

  /**
   * Starts a login within the caps: counts it (per user per hour; per phone per day for a code), stores it
   * with its lease in one statement (refused when the phone cools down, the accounts or pending cap is
   * reached), then opens a fresh connection. What is refused gives its counts back.
   */
  async begin(userId: string, method: LoginMethod, phone: string | null): Promise<Held> {
    const operation = `login.${method}.start`;
    const counted = await Promise.allSettled([
      this.limits.loginStarted(userId),
      ...(phone !== null ? [this.limits.codeRequested(phone)] : []),
    ]);
    const undo = counted.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const refused = counted.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (refused !== undefined) {
      // One may have counted while the other refused.
      await Promise.all(undo.map((give) => give()));
      throw refused.reason;
    }
    const created = await this.store.logins
      .create({
        id: randomUUID(),
        userId,
        method,
        state: method === 'phone' ? 'code_sent' : 'waiting',
        phone,
        ttlSeconds: this.options.loginTtlSeconds,
        owner: this.holder.pod,
        incarnation: this.holder.incarnation,
        leaseTtlSeconds: this.holder.options.leaseTtlSeconds,
        maxPending: this.limits.settings.pendingLoginsPerUser,
        maxAccounts: this.limits.settings.accountsPerUser,
      })
      .catch(async (error: unknown) => {
        await Promise.all(undo.map((give) => give()));
        throw error;
      });
    if (!created.created) {
      await Promise.all(undo.map((give) => give()));
      if (created.cooldown_seconds !== null) {
        await this.log({ userId, operation, outcome: 'error', errorKind: 'FloodWait' });
        throw new TelegramError('FloodWait', { seconds: created.cooldown_seconds });
      }
      if (created.connected_accounts >= this.limits.settings.accountsPerUser) {
        throw this.limits.refuse('accounts_per_user');
      }
      throw this.limits.refuse('pending_logins_per_user', created.pending_free_in ?? 1);
    }
    const { row, fence } = created;
    try {
      return this.holder.hold('login', row.id, fence.token, await this.open(undefined), row);
    } catch (error) {
      const domain = asTelegramError(error);
      await this.store.logins.update(row.id, fence, { state: 'failed', failure: domain.kind });
      await this.store.leases.release([fence]);
      await this.log({ userId, operation, outcome: 'error', errorKind: domain.kind, loginId: row.id });
      this.metrics.logins.inc({ method, outcome: domain.kind });
      throw domain;
    }
  }

  /**
   * Runs `work` in the login's queue (one Telegram step at a time), after checking inside the queue that
   * the caller owns the login and it is in one of `states` — as this holder last wrote it, no re-read.
   */
  step(
    userId: string,
    loginId: string,
    states: LoginState[],
    work: (held: Held, row: LoginRow) => Promise<LoginRow>,
  ): Promise<LoginRow> {
    const held = this.holder.heldOrGone(resourceName('login', loginId));
    return this.holder.serialized(held, async () => {
      if (held.dropped) throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
      const row = held.login;
      if (row === undefined || row.user_id !== userId) throw HttpProblem.notFound('no such login');
      if (!states.includes(row.state)) throw HttpProblem.conflict(`the login is ${row.state}`);
      const wait = row.retry_after !== null ? Math.ceil((row.retry_after.getTime() - Date.now()) / 1000) : 0;
      if (wait > 0) throw new TelegramError('FloodWait', { seconds: wait });
      return work(held, row);
    });
  }

  /** A fenced write of the held login; when the lease was lost the connection goes and the caller retries. */
  async save(held: Held, update: LoginUpdate): Promise<LoginRow> {
    const row = await this.store.logins.update(held.id, this.holder.fence(held), update);
    if (row === undefined) {
      await this.holder.drop(held);
      throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
    }
    held.login = row;
    return row;
  }

  /** The session as of now, encrypted for storage (it changes after a DC migration). */
  async sealedSession(held: Held): Promise<string> {
    return this.cipher.encrypt(held.conn.session());
  }

  /**
   * Records a failed step and throws it. A kind that ends the login (or any failure to start) fails it;
   * a wait Telegram asked for is stored on the login and the phone, so a retry inside it stays here; when
   * no further delivery method exists, the login stops offering a resend.
   */
  async fail(held: Held, row: LoginRow, error: TelegramError, operation: string): Promise<never> {
    const rule = KINDS[error.kind];
    const seconds = rule.wait !== undefined ? error.seconds || rule.wait.seconds : 0;
    if (rule.wait !== undefined) {
      this.metrics.floodWaits.inc({ operation });
      if (row.phone !== null) await this.store.cooldowns.set(row.phone, seconds);
    }
    await this.log({ userId: row.user_id, operation, outcome: 'error', errorKind: error.kind, loginId: row.id });
    const failed = rule.endsLogin === true || (operation.endsWith('.start') && error.kind !== 'PasswordNeeded');
    if (failed) {
      this.metrics.logins.inc({ method: row.method, outcome: error.kind });
      await this.store.logins.update(row.id, this.holder.fence(held), {
        state: 'failed',
        failure: error.kind,
        session_ciphertext: null,
        phone_code_hash: null,
      });
      await this.holder.letGo(held);
    } else if (rule.wait !== undefined) {
      await this.save(held, { retry_after: new Date(Date.now() + seconds * 1000) });
    } else if (error.kind === 'CodeUnavailable') {
      await this.save(held, { next_code_type: null, code_timeout: null });
    }
    throw seconds > 0 ? new TelegramError(error.kind, { seconds, cause: error }) : error;
  }

  /** Telegram wants the two-step password: keep the session, show the hint. */
  async needPassword(held: Held, row: LoginRow, operation: string): Promise<LoginRow> {
    const hint = await held.conn.passwordHint().catch(() => undefined);
    const saved = await this.save(held, {
      state: 'password_required',
      password_hint: hint ?? null,
      qr_url: null,
      session_ciphertext: await this.sealedSession(held),
    });
    clearTimeout(held.timer);
    await this.log({ userId: row.user_id, operation, outcome: 'ok', loginId: row.id });
    return saved;
  }

  async submitPassword(userId: string, loginId: string, password: string): Promise<LoginRow> {
    return this.step(userId, loginId, ['password_required'], async (held, row) => {
      let user: TelegramUser;
      try {
        user = await held.conn.checkPassword(password);
      } catch (error) {
        return this.fail(held, row, asTelegramError(error), 'login.password');
      }
      return this.complete(held, row, user, 'login.password');
    });
  }

  /** Signed in: the account is stored and the same connection now serves it, under the account's lease. */
  async complete(held: Held, row: LoginRow, user: TelegramUser, operation: string): Promise<LoginRow> {
    clearTimeout(held.timer);
    const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ') || null;
    const done = await this.store.accounts.completeLogin({
      loginId: row.id,
      fence: this.holder.fence(held),
      accountId: randomUUID(),
      userId: row.user_id,
      telegramUserId: user.id,
      phone: user.phone !== undefined ? `+${user.phone.replace(/^\+/, '')}` : row.phone,
      username: user.username ?? null,
      displayName,
      sessionCiphertext: await this.sealedSession(held),
      owner: this.holder.pod,
      incarnation: this.holder.incarnation,
      ttlSeconds: this.holder.options.leaseTtlSeconds,
      maxAccounts: this.limits.settings.accountsPerUser,
    });
    if (!done.done && done.why === 'lease-lost') {
      await this.holder.drop(held);
      throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
    }
    if (!done.done) {
      // Another login of this user connected meanwhile: end the session Telegram just opened, keep nothing.
      await held.conn.logOut().catch(() => undefined);
      await this.store.logins.update(row.id, this.holder.fence(held), {
        state: 'failed',
        failure: 'AccountLimit',
        session_ciphertext: null,
        phone_code_hash: null,
      });
      await this.holder.letGo(held);
      this.metrics.logins.inc({ method: row.method, outcome: 'AccountLimit' });
      throw this.limits.refuse('accounts_per_user');
    }
    const accountId = done.login.account_id!;
    await this.holder.transfer(held, done.fence, accountId);
    this.metrics.logins.inc({ method: row.method, outcome: 'connected' });
    await this.log({ userId: row.user_id, operation, outcome: 'ok', loginId: row.id, accountId });
    this.logger.info({ loginId: row.id, accountId, method: row.method }, 'telegram account connected');
    return done.login;
  }
}
