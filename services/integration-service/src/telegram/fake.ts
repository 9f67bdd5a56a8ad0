import { randomInt, randomUUID } from 'node:crypto';
import { FakeChannels, type FakeChannelScript, type FakeMembership } from './fake-channels.ts';
import { FakeCodes, type PendingCode } from './fake-codes.ts';
import { FakeConnection, never } from './fake-connection.ts';
import type { FakeAccountScript, FakeOperation, FakeSnapshot, FakeTelegramOptions, KeyState } from './fake-script.ts';
import { demoUserId, formatSession, normalize, parseSession, type FakeSession } from './fake-session.ts';
import {
  floodWait,
  TelegramError,
  type SentCode,
  type TelegramConnection,
  type TelegramPort,
  type TelegramUser,
} from './port.ts';

export type { FakeChannelScript, FakeMembership, FakeMessage } from './fake-channels.ts';
export type { FakeAccountScript, FakeOperation, FakeSnapshot, FakeTelegramOptions, KeyState } from './fake-script.ts';

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
  private readonly codes: FakeCodes;
  /** Channels and supergroups, their members' rights and messages (see `FakeChannels`). */
  readonly channels = new FakeChannels();
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
    this.codes = new FakeCodes({ qrTtlSeconds: this.options.qrTtlSeconds, demoCode: this.options.demo?.code });
  }

  addAccount(script: FakeAccountScript): TelegramUser {
    const user: TelegramUser = {
      id:
        this.options.demo !== undefined
          ? demoUserId(script.phone)
          : String(1_000_000 + this.accounts.size + randomInt(1_000_000)),
      firstName: script.firstName ?? 'Demo',
      lastName: undefined,
      username: script.username,
      phone: script.phone.replace(/^\+/, ''),
    };
    this.accounts.set(normalize(script.phone), { script, user });
    return user;
  }

  /**
   * Adds a channel (or supergroup) where each phone's account has the given membership (`poster`: an admin
   * allowed to post). Returns its peer and the chat id the Bot API uses (`-100<id>`).
   */
  addChannel(
    script: FakeChannelScript,
    members: Record<string, FakeMembership>,
  ): { id: string; accessHash: string; botChatId: string } {
    const added = this.channels.add(script);
    for (const [phone, membership] of Object.entries(members)) this.setMembership(added.id, phone, membership);
    return added;
  }

  /** What the account of `phone` is in the chat now (`undefined`: not a member any more). */
  setMembership(chatId: string, phone: string, membership: FakeMembership | undefined): void {
    const account = this.account(phone);
    if (account === undefined) throw new Error(`no fake account ${phone}`);
    this.channels.setMember(chatId, account.user.id, membership);
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
    return this.codes.lastCode(phone);
  }

  /** Makes the pending code of this phone expire. */
  expireCode(phone: string): void {
    this.codes.expireCode(phone);
  }

  /** The user scans a QR login URL with their phone (an app already signed in as `phone`). */
  scanQr(url: string, phone: string): void {
    const token = new URL(url).searchParams.get('token') ?? '';
    const entry = this.codes.qrToken(token);
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
    for (const key of snapshot.keys) this.addKey(key.id, key.dcId, key.userId);
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
    if (parsed !== undefined) this.reopenDemoKey(parsed);
    if (parsed !== undefined && this.silentKey(parsed.key)) return never();
    const key = parsed?.key ?? this.newKey(this.options.defaultDcId);
    const connection = new FakeConnection(this, key);
    this.connect(key);
    return connection;
  }

  /**
   * A signed-in demo session another demo instance made (a pod of a dev cluster that died): its key is signed in to
   * the phone the string carries, as Telegram's shared server side would know. A key this instance knows keeps its
   * own state, so a session it logged out or saw revoked stays dead here; another instance cannot know of that
   * revocation, which is fine: the platform deletes the account, and its session, when it logs one out.
   */
  private reopenDemoKey(parsed: FakeSession): void {
    if (this.options.demo === undefined || parsed.phone === undefined || this.keys.has(parsed.key)) return;
    const account = this.account(parsed.phone);
    if (account !== undefined) this.addKey(parsed.key, parsed.dcId, account.user.id);
  }

  private addKey(id: string, dcId: number, userId: string | undefined): void {
    this.keys.set(id, {
      dcId,
      userId,
      passwordPendingFor: undefined,
      acceptedBy: undefined,
      dead: undefined,
      listeners: new Set(),
    });
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
    this.addKey(id, dcId, undefined);
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

  /** @internal The session string of `key`: in demo mode, once signed in, one any demo instance can reopen. */
  sessionOf(key: string): string {
    const state = this.keys.get(key);
    const dcId = state?.dcId ?? this.options.defaultDcId;
    const userId = this.options.demo !== undefined ? state?.userId : undefined;
    const phone = userId !== undefined ? this.accountById(userId)?.script.phone : undefined;
    return formatSession(key, dcId, phone !== undefined ? normalize(phone) : undefined);
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
    return this.codes.deliver(key, phone, this.account(phone)?.script, typeIndex, previous);
  }

  /** @internal */
  pendingCode(key: string, phone: string, hash: string): PendingCode {
    return this.codes.pending(key, phone, hash);
  }

  /** @internal */
  dropCode(hash: string): void {
    this.codes.drop(hash);
  }

  /** @internal */
  issueQrToken(key: string): { token: Buffer; expiresAt: Date } {
    const issued = this.codes.issueQrToken(key);
    const demo = this.options.demo;
    if (demo !== undefined) {
      const url = `tg://login?token=${issued.token.toString('base64url')}`;
      this.account('+10000000001');
      setTimeout(() => {
        try {
          this.scanQr(url, '+10000000001');
        } catch {
          // refreshed or gone meanwhile
        }
      }, demo.qrScanAfterMs).unref();
    }
    return issued;
  }

  /** @internal */
  qrToken(token: Buffer): { key: string; expiresAt: number } | undefined {
    return this.codes.qrToken(token.toString('base64url'));
  }
}

export { floodWait };
