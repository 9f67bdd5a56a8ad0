import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { FakeConnection, never, normalize, parseSession } from './fake-connection.ts';
import {
  floodWait,
  TelegramError,
  type CodeType,
  type SentCode,
  type TelegramConnection,
  type TelegramPort,
  type TelegramUser,
} from './port.ts';

/** A Telegram account the fake knows. */
export interface FakeAccountScript {
  phone: string;
  firstName?: string;
  username?: string;
  /** 2FA password, when the account has one. */
  password?: string;
  hint?: string;
  /** Home DC; a login from another DC migrates (phone: PHONE_MIGRATE; QR: LoginTokenMigrateTo). Default: 2. */
  dcId?: number;
  /** Code types in the order SendCode and each ResendCode deliver them. Default: app, then sms. */
  codeTypes?: CodeType[];
}

export type FakeOperation =
  | 'open'
  | 'sendCode'
  | 'resendCode'
  | 'signIn'
  | 'checkPassword'
  | 'exportLoginToken'
  | 'importLoginToken'
  | 'logOut'
  | 'getSelf';

/** @internal Telegram's server-side state of one auth key. */
export interface KeyState {
  dcId: number;
  /** Telegram user id once the key is signed in. */
  userId: string | undefined;
  /** Signed in up to the 2FA step. */
  passwordPendingFor: string | undefined;
  /** A QR token of this key was accepted by this user. */
  acceptedBy: string | undefined;
  dead: 'revoked' | 'duplicated' | undefined;
  listeners: Set<() => void>;
}

interface PendingCode {
  key: string;
  phone: string;
  hash: string;
  code: string;
  typeIndex: number;
  expired: boolean;
}

/** What `FakeTelegram.snapshot()` returns: plain JSON. */
export interface FakeSnapshot {
  accounts: { script: FakeAccountScript; user: TelegramUser }[];
  keys: { id: string; dcId: number; userId: string }[];
}

export interface FakeTelegramOptions {
  /** Delay of every call, so concurrency windows exist as they do on a network. Default: 0. */
  latencyMs?: number;
  /** QR token lifetime. Default: 30 s. */
  qrTtlSeconds?: number;
  /** DC a fresh session starts on. Default: 2. */
  defaultDcId?: number;
  /**
   * Local demo: every valid phone is an account, the code is always `code`, phones ending in 2 have the
   * 2FA password `password`, and QR tokens are accepted `qrScanAfterMs` after they are exported.
   */
  demo?: { code: string; password: string; qrScanAfterMs: number } | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A scripted Telegram for tests and the local demo: no network, ever. It keeps Telegram's server-side
 * state (auth keys, codes, QR tokens), migrates between DCs the way GramJS does (a new auth key), and
 * counts concurrent connections per auth key — a second concurrent connection of one key is recorded
 * as a violation and answered with AUTH_KEY_DUPLICATED, as Telegram does.
 */
export class FakeTelegram implements TelegramPort {
  readonly options: Required<Omit<FakeTelegramOptions, 'demo'>> & Pick<FakeTelegramOptions, 'demo'>;
  private readonly accounts = new Map<string, { script: FakeAccountScript; user: TelegramUser }>();
  private readonly keys = new Map<string, KeyState>();
  private readonly codes = new Map<string, PendingCode>();
  private readonly qrTokens = new Map<string, { key: string; expiresAt: number }>();
  private readonly openCount = new Map<string, number>();
  private readonly failures = new Map<FakeOperation, TelegramError[]>();
  private readonly silent = new Set<string>();
  /** Highest number of simultaneous connections any one auth key had. */
  maxConcurrent = 0;
  /** Times a key was connected while already connected elsewhere. */
  violations = 0;
  /** Connections opened and destroyed, with wall-clock times. */
  readonly connectionLog: { event: 'open' | 'destroy'; key: string; at: number }[] = [];
  /** Every call made, by operation name: what tests assert on. */
  readonly calls: { op: FakeOperation; key: string }[] = [];

  constructor(options: FakeTelegramOptions = {}) {
    this.options = { latencyMs: 0, qrTtlSeconds: 30, defaultDcId: 2, demo: undefined, ...options };
  }

  addAccount(script: FakeAccountScript): TelegramUser {
    const user: TelegramUser = {
      id: String(1_000_000 + this.accounts.size + randomInt(1_000_000)),
      firstName: script.firstName ?? 'Demo',
      lastName: undefined,
      username: script.username,
      phone: script.phone.replace(/^\+/, ''),
    };
    this.accounts.set(normalize(script.phone), { script, user });
    return user;
  }

  /** The next call of `op` fails with `error` (queued; one error per call). */
  failNext(op: FakeOperation, error: TelegramError): void {
    const queue = this.failures.get(op) ?? [];
    queue.push(error);
    this.failures.set(op, queue);
  }

  /**
   * Telegram stops answering for this number, as a dead data centre does: every call of its connections
   * (sendCode to it, open/getSelf/... of its sessions, even destroy) never settles. In demo mode numbers
   * ending in 99 behave so, to show timeouts.
   */
  stopAnswering(phone: string): void {
    this.silent.add(normalize(phone));
  }

  answerAgain(phone: string): void {
    this.silent.delete(normalize(phone));
  }

  /** The code Telegram last delivered to this phone, as the user would read it. */
  lastCode(phone: string): string | undefined {
    return [...this.codes.values()].reverse().find((pending) => pending.phone === normalize(phone))?.code;
  }

  /** Makes the pending code of this phone expire. */
  expireCode(phone: string): void {
    for (const pending of this.codes.values()) if (pending.phone === normalize(phone)) pending.expired = true;
  }

  /** The user scans a QR login URL with their phone (an app already signed in as `phone`). */
  scanQr(url: string, phone: string): void {
    const token = new URL(url).searchParams.get('token') ?? '';
    const entry = this.qrTokens.get(token);
    if (entry === undefined || entry.expiresAt < Date.now()) throw new Error('the QR token is unknown or expired');
    const account = this.accounts.get(normalize(phone));
    if (account === undefined) throw new Error(`no fake account ${phone}`);
    const key = this.keys.get(entry.key);
    if (key === undefined) throw new Error('QR token of an unknown key');
    key.acceptedBy = account.user.id;
    for (const listener of key.listeners) queueMicrotask(listener);
  }

  /** The user ends the session from another device: the key stops working. */
  revokeSessionsOf(phone: string): void {
    const account = this.accounts.get(normalize(phone));
    for (const key of this.keys.values()) if (key.userId === account?.user.id) key.dead = 'revoked';
  }

  /**
   * Telegram's durable side, for the local demo (`demo.ts` keeps it in a file): its accounts and the auth keys
   * signed in to them. Real Telegram remembers both across restarts of our service; the demo must too.
   */
  snapshot(): FakeSnapshot {
    return {
      accounts: [...this.accounts.values()].map(({ script, user }) => ({ script, user })),
      keys: [...this.keys]
        .filter(([, key]) => key.userId !== undefined && key.dead === undefined)
        .map(([id, key]) => ({ id, dcId: key.dcId, userId: key.userId! })),
    };
  }

  /** Loads a `snapshot()` taken by an earlier process. */
  restore(snapshot: FakeSnapshot): void {
    for (const account of snapshot.accounts) this.accounts.set(normalize(account.script.phone), account);
    for (const key of snapshot.keys) {
      this.keys.set(key.id, {
        dcId: key.dcId,
        userId: key.userId,
        passwordPendingFor: undefined,
        acceptedBy: undefined,
        dead: undefined,
        listeners: new Set(),
      });
    }
  }

  /** Connections currently open for this session string's key. */
  connectionsOf(session: string): number {
    return this.openCount.get(parseSession(session)?.key ?? '') ?? 0;
  }

  /** Open connections in total. */
  openConnections(): number {
    let total = 0;
    for (const count of this.openCount.values()) total += count;
    return total;
  }

  /** True when the session's key is signed in and alive. */
  isAuthorized(session: string): boolean {
    const key = this.keys.get(parseSession(session)?.key ?? '');
    return key !== undefined && key.userId !== undefined && key.dead === undefined;
  }

  async open(session: string | undefined): Promise<TelegramConnection> {
    await this.step('open', '');
    const parsed = session !== undefined && session !== '' ? parseSession(session) : undefined;
    if (session !== undefined && session !== '' && parsed === undefined) throw new TelegramError('SessionRevoked');
    if (parsed !== undefined && this.silentKey(parsed.key)) return never();
    const key = parsed?.key ?? this.newKey(this.options.defaultDcId);
    const connection = new FakeConnection(this, key);
    this.connect(key);
    return connection;
  }

  // --- the fake "server" side, used by FakeConnection -------------------------------------------------

  /** @internal */
  isSilent(phone: string): boolean {
    const digits = normalize(phone);
    return this.silent.has(digits) || (this.options.demo !== undefined && digits.endsWith('99'));
  }

  /** @internal True when the account signed in (or signing in) on this key does not get answers. */
  silentKey(key: string): boolean {
    const state = this.keys.get(key);
    const userId = state?.userId ?? state?.passwordPendingFor;
    const account = userId !== undefined ? this.accountById(userId) : undefined;
    return account !== undefined && this.isSilent(account.script.phone);
  }

  /** @internal */
  newKey(dcId: number): string {
    const id = randomUUID();
    this.keys.set(id, {
      dcId,
      userId: undefined,
      passwordPendingFor: undefined,
      acceptedBy: undefined,
      dead: undefined,
      listeners: new Set(),
    });
    return id;
  }

  /** @internal */
  connect(key: string): void {
    this.connectionLog.push({ event: 'open', key, at: Date.now() });
    const count = (this.openCount.get(key) ?? 0) + 1;
    this.openCount.set(key, count);
    this.maxConcurrent = Math.max(this.maxConcurrent, count);
    if (count > 1) {
      this.violations += 1;
      const state = this.keys.get(key);
      if (state !== undefined) state.dead = 'duplicated';
    }
  }

  /** @internal */
  disconnect(key: string): void {
    this.connectionLog.push({ event: 'destroy', key, at: Date.now() });
    const count = (this.openCount.get(key) ?? 0) - 1;
    if (count <= 0) this.openCount.delete(key);
    else this.openCount.set(key, count);
  }

  /** @internal */
  dcOf(key: string): number {
    return this.keys.get(key)?.dcId ?? this.options.defaultDcId;
  }

  /** @internal */
  keyState(key: string): KeyState {
    const state = this.keys.get(key);
    if (state === undefined) throw new TelegramError('SessionRevoked');
    if (state.dead === 'duplicated') throw new TelegramError('KeyDuplicated');
    if (state.dead === 'revoked') throw new TelegramError('SessionRevoked');
    return state;
  }

  /** @internal */
  async step(op: FakeOperation, key: string): Promise<void> {
    this.calls.push({ op, key });
    if (this.options.latencyMs > 0) await sleep(this.options.latencyMs);
    const failure = this.failures.get(op)?.shift();
    if (failure !== undefined) throw failure;
  }

  /** @internal */
  account(phone: string): { script: FakeAccountScript; user: TelegramUser } | undefined {
    const demo = this.options.demo;
    if (demo !== undefined && !this.accounts.has(normalize(phone)) && /^\d{7,15}$/.test(normalize(phone))) {
      const twoStep = normalize(phone).endsWith('2');
      this.addAccount({ phone, ...(twoStep ? { password: demo.password, hint: 'demo' } : {}) });
    }
    return this.accounts.get(normalize(phone));
  }

  /** @internal */
  accountById(userId: string): { script: FakeAccountScript; user: TelegramUser } | undefined {
    return [...this.accounts.values()].find((account) => account.user.id === userId);
  }

  /** @internal */
  deliverCode(key: string, phone: string, typeIndex: number, previous?: PendingCode): SentCode {
    const account = this.account(phone);
    const types = account?.script.codeTypes ?? ['app', 'sms'];
    // auth.resendCode past the last delivery method: SEND_CODE_UNAVAILABLE.
    if (typeIndex >= types.length) throw new TelegramError('CodeUnavailable');
    const index = typeIndex;
    const pending: PendingCode = {
      key,
      phone: normalize(phone),
      hash: previous?.hash ?? randomBytes(8).toString('hex'),
      code: this.options.demo?.code ?? String(randomInt(10_000, 100_000)),
      typeIndex: index,
      expired: false,
    };
    this.codes.set(pending.hash, pending);
    return {
      phoneCodeHash: pending.hash,
      codeType: types[index] ?? 'app',
      nextCodeType: types[index + 1],
      timeout: types[index + 1] !== undefined ? 60 : undefined,
    };
  }

  /** @internal */
  pendingCode(key: string, phone: string, hash: string): PendingCode {
    const pending = this.codes.get(hash);
    if (pending === undefined || pending.key !== key || pending.phone !== normalize(phone)) {
      throw new TelegramError('CodeExpired');
    }
    return pending;
  }

  /** @internal */
  dropCode(hash: string): void {
    this.codes.delete(hash);
  }

  /** @internal */
  issueQrToken(key: string): { token: Buffer; expiresAt: Date } {
    const token = randomBytes(24);
    const expiresAt = Date.now() + this.options.qrTtlSeconds * 1000;
    this.qrTokens.set(token.toString('base64url'), { key, expiresAt });
    const demo = this.options.demo;
    if (demo !== undefined) {
      const url = `tg://login?token=${token.toString('base64url')}`;
      this.account('+10000000001');
      setTimeout(() => {
        try {
          this.scanQr(url, '+10000000001');
        } catch {
          // refreshed or gone meanwhile
        }
      }, demo.qrScanAfterMs).unref();
    }
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** @internal */
  qrToken(token: Buffer): { key: string; expiresAt: number } | undefined {
    return this.qrTokens.get(token.toString('base64url'));
  }
}

export { floodWait };
