import { randomUUID } from 'node:crypto';
import { HttpProblem, type Logger } from '@cf/kit';
import type { SessionCipher } from './cipher.ts';
import type { Fence, LoginRow, Store } from './db/store.ts';
import type { TelegramMetrics } from './metrics.ts';
import {
  TelegramError,
  type LoginTokenResult,
  type SentCode,
  type TelegramConnection,
  type TelegramPort,
  type TelegramUser,
} from './telegram/port.ts';

export interface ManagerOptions {
  /** This pod's name (StatefulSet: `integration-service-0`); peers reach it through the address template. */
  pod: string;
  leaseTtlSeconds: number;
  reconcileIntervalSeconds: number;
  loginTtlSeconds: number;
  /** Re-export a QR token this long before it expires. */
  qrRefreshMarginSeconds: number;
  /** Most leases adopted per reconcile round. */
  adoptBatch: number;
  /** How often held accounts are asked whether their session still works. */
  healthIntervalSeconds: number;
}

interface Held {
  resource: string;
  kind: 'login' | 'account';
  id: string;
  token: string;
  conn: TelegramConnection;
  timer: NodeJS.Timeout | undefined;
  queue: Promise<unknown>;
  dropped: boolean;
}

/** Where a request for a resource must run. */
export type Route = { local: true } | { local: false; pod: string } | { local: false; retryAfter: number };

const TERMINAL = new Set(['PhoneBanned', 'SessionRevoked', 'KeyDuplicated']);

const PROBLEM_BASE = 'https://content-factory.local/problems/telegram/';

/** The HTTP answer for a Telegram domain error. */
export function problemFor(error: TelegramError): HttpProblem {
  const type = PROBLEM_BASE + error.kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const extensions = { kind: error.kind };
  switch (error.kind) {
    case 'FloodWait':
      return new HttpProblem(429, {
        type,
        detail: `Telegram asks to wait ${error.seconds} s before trying again`,
        headers: { 'Retry-After': String(Math.max(1, error.seconds)) },
        extensions: { ...extensions, retryAfter: Math.max(1, error.seconds) },
      });
    case 'CodeInvalid':
      return new HttpProblem(400, { type, detail: 'the code is not correct', extensions });
    case 'CodeExpired':
      return new HttpProblem(400, { type, detail: 'the code has expired; ask for a new one', extensions });
    case 'PasswordInvalid':
      return new HttpProblem(400, { type, detail: 'the two-step verification password is wrong', extensions });
    case 'PhoneInvalid':
      return new HttpProblem(400, { type, detail: 'Telegram does not accept this phone number', extensions });
    case 'PasswordNeeded':
      return new HttpProblem(409, { type, detail: 'the two-step verification password is required', extensions });
    case 'PhoneBanned':
      return new HttpProblem(403, { type, detail: 'Telegram has banned this phone number', extensions });
    case 'SessionRevoked':
      return new HttpProblem(410, { type, detail: 'the Telegram session was ended; connect again', extensions });
    case 'KeyDuplicated':
      return new HttpProblem(409, {
        type,
        detail: 'Telegram saw this session in two places and ended it; connect again',
        extensions,
      });
    default:
      return new HttpProblem(502, { type, detail: 'Telegram did not answer as expected', extensions });
  }
}

export function normalizePhone(phone: string): string | undefined {
  const compact = phone.replace(/[\s().-]/g, '');
  return /^\+?[1-9]\d{6,14}$/.test(compact) ? `+${compact.replace(/^\+/, '')}` : undefined;
}

const qrUrl = (token: Buffer): string => `tg://login?token=${token.toString('base64url')}`;

/**
 * Holds this pod's Telegram connections and the leases that make it their only owner: runs logins,
 * keeps accounts connected, adopts what dead pods left behind, and lets go of everything on shutdown.
 */
export class TelegramManager {
  readonly incarnation = randomUUID();
  private readonly held = new Map<string, Held>();
  private readonly port: TelegramPort;
  private readonly store: Store;
  private readonly cipher: SessionCipher;
  private readonly metrics: TelegramMetrics;
  private readonly logger: Logger;
  readonly options: ManagerOptions;
  private renewTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private lastRenewed = Date.now();
  private stopped = false;
  private reconciling: Promise<void> | undefined;

  constructor(deps: {
    port: TelegramPort;
    store: Store;
    cipher: SessionCipher;
    metrics: TelegramMetrics;
    logger: Logger;
    options: ManagerOptions;
  }) {
    this.port = deps.port;
    this.store = deps.store;
    this.cipher = deps.cipher;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.options = deps.options;
  }

  get pod(): string {
    return this.options.pod;
  }

  connectedAccounts(): number {
    let count = 0;
    for (const held of this.held.values()) if (held.kind === 'account') count += 1;
    return count;
  }

  holds(resource: string): boolean {
    return this.held.has(resource);
  }

  start(): void {
    const renewMs = (this.options.leaseTtlSeconds * 1000) / 3;
    this.renewTimer = setInterval(() => void this.renew(), renewMs);
    this.reconcileTimer = setInterval(() => void this.reconcile(), this.options.reconcileIntervalSeconds * 1000);
    this.healthTimer = setInterval(() => void this.checkHealth(), this.options.healthIntervalSeconds * 1000);
    void this.reconcile();
  }

  /** Asks every held account's connection whether Telegram still accepts its session. */
  async checkHealth(): Promise<void> {
    const accounts = [...this.held.values()].filter((held) => held.kind === 'account');
    await runLimited(accounts, 16, async (held) => {
      if (held.dropped) return;
      try {
        await held.conn.health();
      } catch (error) {
        const domain = asTelegramError(error);
        if (!TERMINAL.has(domain.kind) || held.dropped) return;
        this.logger.info({ accountId: held.id, kind: domain.kind }, 'telegram session ended');
        await this.store
          .setAccountState(
            held.id,
            this.fence(held),
            domain.kind === 'KeyDuplicated' ? 'failed' : 'revoked',
            domain.kind,
          )
          .catch(() => undefined);
        await this.letGo(held);
      }
    });
  }

  // --- leases -----------------------------------------------------------------------------------------

  private fence(held: Held): Fence {
    return { resource: held.resource, token: held.token };
  }

  private async renew(): Promise<void> {
    const all = [...this.held.values()];
    try {
      const kept = await this.store.renew(
        all.map((held) => this.fence(held)),
        this.options.leaseTtlSeconds,
      );
      this.lastRenewed = Date.now();
      for (const held of all) {
        if (!kept.has(held.resource) && this.held.get(held.resource) === held) {
          this.logger.warn({ resource: held.resource }, 'lease lost; dropping the connection');
          await this.drop(held);
        }
      }
    } catch (error) {
      // Without the database we cannot prove ownership: fence ourselves before the lease can expire.
      const age = Date.now() - this.lastRenewed;
      this.logger.warn({ err: error, age }, 'lease renewal failed');
      if (age > this.options.leaseTtlSeconds * 1000 * 0.8) {
        for (const held of [...this.held.values()]) await this.drop(held);
      }
    }
  }

  /** Forgets a resource locally: destroys its connection; the lease row is left to expire or be released. */
  private async drop(held: Held): Promise<void> {
    if (held.dropped) return;
    held.dropped = true;
    clearTimeout(held.timer);
    if (this.held.get(held.resource) === held) this.held.delete(held.resource);
    await held.conn.destroy().catch(() => undefined);
  }

  /** Destroys the connection, then releases the lease, so the next owner never overlaps with us. */
  private async letGo(held: Held): Promise<void> {
    await this.drop(held);
    await this.store.release([this.fence(held)]).catch(() => undefined);
  }

  private serialized<T>(held: Held, work: () => Promise<T>): Promise<T> {
    const run = held.queue.then(work, work);
    held.queue = run.catch(() => undefined);
    return run;
  }

  /** Decides where a request for `resource` runs; adopts it here when nobody holds it. */
  async route(resource: string): Promise<Route> {
    if (this.held.has(resource)) return { local: true };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const lease = await this.store.lease(resource);
      if (lease !== undefined && lease.live) {
        if (lease.owner === this.pod && lease.incarnation === this.incarnation) {
          if (this.held.has(resource)) return { local: true };
          return { local: false, retryAfter: 1 };
        }
        if (lease.owner === this.pod) {
          // Our previous incarnation (same StatefulSet name) held it: wait for its lease to run out.
          const seconds = Math.ceil((new Date(lease.expires_at).getTime() - Date.now()) / 1000);
          return { local: false, retryAfter: Math.max(1, seconds) };
        }
        return { local: false, pod: lease.owner };
      }
      await this.adopt([resource]);
      if (this.held.has(resource)) return { local: true };
    }
    return { local: false, retryAfter: 1 };
  }

  private heldOrGone(resource: string): Held {
    const held = this.held.get(resource);
    if (held === undefined) throw HttpProblem.unavailable('ownership moved; try again', 1);
    return held;
  }

  // --- adoption (a pod died, or a lease was released) -----------------------------------------------

  async reconcile(): Promise<void> {
    if (this.stopped) return;
    this.reconciling ??= (async () => {
      try {
        const expired = await this.store.expireLogins();
        for (const { id, method } of expired) {
          this.metrics.logins.inc({ method, outcome: 'expired' });
          const held = this.held.get(`login:${id}`);
          if (held !== undefined) await this.letGo(held);
        }
        // A full batch means more are waiting (a peer died with many accounts): keep going at once.
        for (let round = 0; round < 100 && !this.stopped; round += 1) {
          const orphans = await this.store.orphans(this.options.adoptBatch);
          if (orphans.length > 0) await this.adopt(orphans);
          if (orphans.length < this.options.adoptBatch) break;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'reconcile failed');
      }
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Claims the free leases among `resources` and brings each back: accounts reconnect, logins resume. */
  async adopt(resources: string[]): Promise<void> {
    if (this.stopped) return;
    const wanted = resources.filter((resource) => !this.held.has(resource));
    const claimed = await this.store.claim(wanted, this.pod, this.incarnation, this.options.leaseTtlSeconds);
    if (claimed.length === 0) return;
    const accounts = claimed.filter((c) => c.resource.startsWith('account:'));
    const logins = claimed.filter((c) => c.resource.startsWith('login:'));
    for (const claim of claimed) {
      if (claim.previous !== null) {
        this.metrics.handovers.inc({ kind: claim.resource.startsWith('account:') ? 'account' : 'login' });
      }
    }
    const rows = await this.store.accountsByIds(accounts.map((c) => c.resource.slice('account:'.length)));
    const byId = new Map(rows.map((row) => [row.id, row]));
    const usable = accounts.filter((c) => byId.get(c.resource.slice(8))?.state === 'connected');
    const unusable = accounts.filter((c) => !usable.includes(c));
    await this.store.release(unusable.map((c) => ({ resource: c.resource, token: c.token })));
    let sessions: string[];
    try {
      sessions = await this.cipher.decryptMany(usable.map((c) => byId.get(c.resource.slice(8))!.session_ciphertext));
    } catch (error) {
      // Without the sessions we cannot serve these accounts: let a peer (or the next round) try.
      await this.store.release(usable.map((c) => ({ resource: c.resource, token: c.token })));
      throw error;
    }
    await runLimited(usable, 64, async (claim, index) => {
      await this.reconnect(claim.resource.slice(8), claim.token, sessions[index]!);
    });
    await runLimited(logins, 16, async (claim) => {
      await this.resumeLogin(claim.resource.slice('login:'.length), claim.token);
    });
  }

  private async reconnect(accountId: string, token: string, session: string): Promise<void> {
    const resource = `account:${accountId}`;
    let conn: TelegramConnection | undefined;
    try {
      conn = await this.port.open(session);
      await conn.getSelf();
      if (this.stopped) throw new Error('stopping');
      this.held.set(resource, this.holding(resource, 'account', accountId, token, conn));
    } catch (error) {
      await conn?.destroy().catch(() => undefined);
      const fence = { resource, token };
      if (error instanceof TelegramError && TERMINAL.has(error.kind)) {
        await this.store.setAccountState(
          accountId,
          fence,
          error.kind === 'KeyDuplicated' ? 'failed' : 'revoked',
          error.kind,
        );
        this.logger.info({ accountId, kind: error.kind }, 'account could not reconnect');
      } else {
        this.logger.warn({ err: error, accountId }, 'account reconnect failed; another round will retry');
      }
      await this.store.release([fence]);
    }
  }

  private holding(resource: string, kind: Held['kind'], id: string, token: string, conn: TelegramConnection): Held {
    return { resource, kind, id, token, conn, timer: undefined, queue: Promise.resolve(), dropped: false };
  }

  private async resumeLogin(loginId: string, token: string): Promise<void> {
    const resource = `login:${loginId}`;
    const row = await this.store.loginById(loginId);
    if (
      row === undefined ||
      row.session_ciphertext === null ||
      !['code_sent', 'waiting', 'password_required'].includes(row.state)
    ) {
      await this.store.release([{ resource, token }]);
      return;
    }
    let conn: TelegramConnection | undefined;
    try {
      conn = await this.port.open(await this.cipher.decrypt(row.session_ciphertext));
      const held = this.holding(resource, 'login', loginId, token, conn);
      this.held.set(resource, held);
      this.logger.info({ loginId, state: row.state }, 'resumed a pending login');
      if (row.method === 'qr' && row.state === 'waiting') {
        this.watchQr(held, row);
        await this.serialized(held, () => this.qrStep(held, row, 'refresh'));
      }
    } catch (error) {
      this.logger.warn({ err: error, loginId }, 'could not resume a login');
      const held = this.held.get(resource);
      if (held !== undefined) await this.letGo(held);
      else {
        await conn?.destroy().catch(() => undefined);
        await this.store.release([{ resource, token }]);
      }
    }
  }

  // --- logins -----------------------------------------------------------------------------------------

  private async newLogin(userId: string, method: 'phone' | 'qr', phone: string | null): Promise<Held> {
    const id = randomUUID();
    await this.store.createLogin({
      id,
      userId,
      method,
      state: method === 'phone' ? 'code_sent' : 'waiting',
      phone,
      ttlSeconds: this.options.loginTtlSeconds,
    });
    const resource = `login:${id}`;
    const [claim] = await this.store.claim([resource], this.pod, this.incarnation, this.options.leaseTtlSeconds);
    if (claim === undefined) throw HttpProblem.unavailable('could not take the login', 1);
    let conn: TelegramConnection;
    try {
      conn = await this.port.open(undefined);
    } catch (error) {
      const domain = asTelegramError(error);
      const fence = { resource, token: claim.token };
      await this.store.updateLogin(id, fence, { state: 'failed', failure: domain.kind });
      await this.store.release([fence]);
      await this.store.log({
        userId,
        operation: `login.${method}.start`,
        outcome: 'error',
        errorKind: domain.kind,
        loginId: id,
      });
      this.metrics.logins.inc({ method, outcome: domain.kind });
      throw problemFor(domain);
    }
    const held = this.holding(resource, 'login', id, claim.token, conn);
    this.held.set(resource, held);
    return held;
  }

  private async failLogin(held: Held, row: LoginRow, error: TelegramError, operation: string): Promise<never> {
    if (error.kind === 'FloodWait') {
      this.metrics.floodWaits.inc({ operation });
      if (row.phone !== null) await this.store.setCooldown(row.phone, error.seconds);
    }
    await this.store.log({ userId: row.user_id, operation, outcome: 'error', errorKind: error.kind, loginId: row.id });
    const terminal = TERMINAL.has(error.kind) || (operation.endsWith('.start') && error.kind !== 'PasswordNeeded');
    if (terminal) {
      this.metrics.logins.inc({ method: row.method, outcome: error.kind });
      await this.store.updateLogin(row.id, this.fence(held), {
        state: 'failed',
        failure: error.kind,
        session_ciphertext: null,
        phone_code_hash: null,
      });
      await this.letGo(held);
    }
    throw problemFor(error);
  }

  async startPhoneLogin(userId: string, phone: string): Promise<LoginRow> {
    const wait = await this.store.cooldown(phone);
    if (wait > 0) {
      await this.store.log({ userId, operation: 'login.phone.start', outcome: 'error', errorKind: 'FloodWait' });
      throw problemFor(new TelegramError('FloodWait', { seconds: wait }));
    }
    const held = await this.newLogin(userId, 'phone', phone);
    const row = (await this.store.loginById(held.id))!;
    return this.serialized(held, async () => {
      let sent: SentCode;
      try {
        sent = await held.conn.sendCode(phone);
      } catch (error) {
        return this.failLogin(held, row, asTelegramError(error), 'login.phone.start');
      }
      // Only now: PHONE_MIGRATE inside SendCode replaced the auth key and DC.
      await this.saveCode(held, sent);
      await this.store.log({ userId, operation: 'login.phone.start', outcome: 'ok', loginId: held.id });
      return (await this.store.loginById(held.id))!;
    });
  }

  private async saveCode(held: Held, sent: SentCode): Promise<void> {
    const ok = await this.store.updateLogin(held.id, this.fence(held), {
      state: 'code_sent',
      phone_code_hash: sent.phoneCodeHash,
      code_type: sent.codeType,
      next_code_type: sent.nextCodeType ?? null,
      code_timeout: sent.timeout ?? null,
      session_ciphertext: await this.cipher.encrypt(held.conn.session()),
    });
    if (!ok) {
      await this.drop(held);
      throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
    }
  }

  private async pendingRow(held: Held, userId: string, states: string[]): Promise<LoginRow> {
    const row = await this.store.loginOf(userId, held.id);
    if (row === undefined) throw HttpProblem.notFound('no such login');
    if (!states.includes(row.state)) throw HttpProblem.conflict(`the login is ${row.state}`);
    return row;
  }

  async resend(userId: string, loginId: string): Promise<LoginRow> {
    const held = this.heldOrGone(`login:${loginId}`);
    return this.serialized(held, async () => {
      const row = await this.pendingRow(held, userId, ['code_sent']);
      let sent: SentCode;
      try {
        sent = await held.conn.resendCode(row.phone!, row.phone_code_hash!);
      } catch (error) {
        return this.failLogin(held, row, asTelegramError(error), 'login.phone.resend');
      }
      await this.saveCode(held, sent);
      await this.store.log({ userId, operation: 'login.phone.resend', outcome: 'ok', loginId });
      return (await this.store.loginById(loginId))!;
    });
  }

  async submitCode(userId: string, loginId: string, code: string): Promise<LoginRow> {
    const held = this.heldOrGone(`login:${loginId}`);
    return this.serialized(held, async () => {
      const row = await this.pendingRow(held, userId, ['code_sent']);
      let user: TelegramUser;
      try {
        user = await held.conn.signIn(row.phone!, row.phone_code_hash!, code);
      } catch (error) {
        const domain = asTelegramError(error);
        if (domain.kind === 'PasswordNeeded') return this.needPassword(held, row, 'login.phone.code');
        return this.failLogin(held, row, domain, 'login.phone.code');
      }
      return this.complete(held, row, user, 'login.phone.code');
    });
  }

  async submitPassword(userId: string, loginId: string, password: string): Promise<LoginRow> {
    const held = this.heldOrGone(`login:${loginId}`);
    return this.serialized(held, async () => {
      const row = await this.pendingRow(held, userId, ['password_required']);
      let user: TelegramUser;
      try {
        user = await held.conn.checkPassword(password);
      } catch (error) {
        return this.failLogin(held, row, asTelegramError(error), 'login.password');
      }
      return this.complete(held, row, user, 'login.password');
    });
  }

  private async needPassword(held: Held, row: LoginRow, operation: string): Promise<LoginRow> {
    const hint = await held.conn.passwordHint().catch(() => undefined);
    const ok = await this.store.updateLogin(row.id, this.fence(held), {
      state: 'password_required',
      password_hint: hint ?? null,
      qr_url: null,
      session_ciphertext: await this.cipher.encrypt(held.conn.session()),
    });
    if (!ok) {
      await this.drop(held);
      throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
    }
    clearTimeout(held.timer);
    await this.store.log({ userId: row.user_id, operation, outcome: 'ok', loginId: row.id });
    return (await this.store.loginById(row.id))!;
  }

  private async complete(held: Held, row: LoginRow, user: TelegramUser, operation: string): Promise<LoginRow> {
    clearTimeout(held.timer);
    const displayName = [user.firstName, user.lastName].filter(Boolean).join(' ') || null;
    const done = await this.store.completeLogin({
      loginId: row.id,
      fence: this.fence(held),
      accountId: randomUUID(),
      userId: row.user_id,
      telegramUserId: user.id,
      phone: user.phone !== undefined ? `+${user.phone.replace(/^\+/, '')}` : row.phone,
      username: user.username ?? null,
      displayName,
      sessionCiphertext: await this.cipher.encrypt(held.conn.session()),
      owner: this.pod,
      incarnation: this.incarnation,
      ttlSeconds: this.options.leaseTtlSeconds,
    });
    if (done === undefined) {
      await this.drop(held);
      throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
    }
    // The same connection now serves the account, under the account's lease.
    this.held.delete(held.resource);
    held.dropped = true;
    const accountResource = `account:${done.accountId}`;
    const previous = this.held.get(accountResource);
    if (previous !== undefined) await previous.conn.destroy().catch(() => undefined);
    this.held.set(accountResource, this.holding(accountResource, 'account', done.accountId, done.token, held.conn));
    this.metrics.logins.inc({ method: row.method, outcome: 'connected' });
    await this.store.log({ userId: row.user_id, operation, outcome: 'ok', loginId: row.id, accountId: done.accountId });
    this.logger.info({ loginId: row.id, accountId: done.accountId, method: row.method }, 'telegram account connected');
    return (await this.store.loginById(row.id))!;
  }

  async startQrLogin(userId: string): Promise<LoginRow> {
    const held = await this.newLogin(userId, 'qr', null);
    const row = (await this.store.loginById(held.id))!;
    this.watchQr(held, row);
    return this.serialized(held, async () => {
      await this.qrStep(held, row, 'start');
      await this.store.log({ userId, operation: 'login.qr.start', outcome: 'ok', loginId: held.id });
      return (await this.store.loginById(held.id))!;
    });
  }

  private watchQr(held: Held, row: LoginRow): void {
    held.conn.onLoginTokenUpdate(() => {
      if (held.dropped) return;
      void this.serialized(held, () => this.qrStep(held, row, 'accepted')).catch((error: unknown) => {
        this.logger.warn({ err: error, loginId: row.id }, 'QR login step failed');
      });
    });
  }

  /** Exports the QR token (again) and acts on what Telegram says: new token, DC migration, or signed in. */
  private async qrStep(held: Held, row: LoginRow, why: 'start' | 'refresh' | 'accepted'): Promise<void> {
    if (held.dropped) return;
    const current = await this.store.loginById(row.id);
    if (current === undefined || current.state !== 'waiting') return;
    let result: LoginTokenResult;
    try {
      result = await held.conn.exportLoginToken();
      if (result.kind === 'migrate') result = await held.conn.importLoginToken(result.dcId, result.token);
    } catch (error) {
      const domain = asTelegramError(error);
      if (domain.kind === 'PasswordNeeded') {
        await this.needPassword(held, row, 'login.qr.accepted');
        return;
      }
      if (domain.kind === 'FloodWait' && why !== 'start') {
        this.metrics.floodWaits.inc({ operation: 'login.qr.refresh' });
        this.schedule(held, row, domain.seconds * 1000);
        return;
      }
      await this.failLogin(held, row, domain, why === 'start' ? 'login.qr.start' : 'login.qr.refresh');
      return;
    }
    if (result.kind === 'success') {
      await this.complete(held, row, result.user, 'login.qr.accepted');
      return;
    }
    if (result.kind === 'migrate') throw new TelegramError('Unavailable');
    const ok = await this.store.updateLogin(row.id, this.fence(held), {
      qr_url: qrUrl(result.token),
      qr_expires_at: result.expiresAt,
      session_ciphertext: await this.cipher.encrypt(held.conn.session()),
    });
    if (!ok) {
      await this.drop(held);
      throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
    }
    const refreshIn = result.expiresAt.getTime() - Date.now() - this.options.qrRefreshMarginSeconds * 1000;
    this.schedule(held, row, Math.max(500, refreshIn));
  }

  private schedule(held: Held, row: LoginRow, ms: number): void {
    clearTimeout(held.timer);
    held.timer = setTimeout(() => {
      void this.serialized(held, () => this.qrStep(held, row, 'refresh')).catch((error: unknown) => {
        this.logger.warn({ err: error, loginId: row.id }, 'QR token refresh failed');
      });
    }, ms);
    held.timer.unref();
  }

  // --- accounts ---------------------------------------------------------------------------------------

  /** Logs the session out at Telegram, destroys the client and deletes the stored session. */
  async deleteAccount(userId: string, accountId: string): Promise<void> {
    const held = this.heldOrGone(`account:${accountId}`);
    await this.serialized(held, async () => {
      try {
        await held.conn.logOut();
      } catch (error) {
        const domain = asTelegramError(error);
        // A session Telegram already ended is logged out; anything else must not leave a live session behind.
        if (domain.kind !== 'SessionRevoked' && domain.kind !== 'KeyDuplicated') {
          if (domain.kind === 'FloodWait') this.metrics.floodWaits.inc({ operation: 'account.delete' });
          await this.store.log({
            userId,
            operation: 'account.delete',
            outcome: 'error',
            errorKind: domain.kind,
            accountId,
          });
          throw problemFor(domain);
        }
      }
      await this.drop(held);
      await this.store.deleteAccount(accountId, this.fence(held));
      await this.store.release([this.fence(held)]);
      await this.store.log({ userId, operation: 'account.delete', outcome: 'ok', accountId });
      this.logger.info({ accountId }, 'telegram account disconnected');
    });
  }

  // --- shutdown ---------------------------------------------------------------------------------------

  /** SIGTERM: stop adopting, destroy every client, then release the leases so a peer takes over at once. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    clearInterval(this.reconcileTimer);
    clearInterval(this.healthTimer);
    await this.reconciling;
    const all = [...this.held.values()];
    await Promise.all(all.map((held) => this.drop(held)));
    await this.store.release(all.map((held) => this.fence(held)));
  }

  /** What a crash leaves: connections gone (TCP dropped), leases untouched until they expire. For tests. */
  async abandon(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    clearInterval(this.reconcileTimer);
    clearInterval(this.healthTimer);
    await Promise.all([...this.held.values()].map((held) => this.drop(held)));
  }
}

export function asTelegramError(error: unknown): TelegramError {
  return error instanceof TelegramError ? error : new TelegramError('Unavailable', { cause: error });
}

async function runLimited<T>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await work(items[index]!, index);
    }
  });
  await Promise.all(workers);
}
