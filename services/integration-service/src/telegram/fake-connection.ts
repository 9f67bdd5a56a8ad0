import { randomBytes } from 'node:crypto';
import type { FakeTelegram } from './fake.ts';
import type { FakeOperation, KeyState } from './fake-script.ts';
import { normalize } from './fake-session.ts';
import { TelegramError } from './port.ts';
// By the port's name: this class is the fake's side of that port, as gramjs.ts is GramJS's.
import type * as port from './port.ts';

/** A call to a data centre that never answers. */
export const never = (): Promise<never> => new Promise<never>(() => undefined);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One client of the fake: what GramJS's TelegramClient is to the real Telegram. */
export class FakeConnection implements port.TelegramConnection {
  private readonly fake: FakeTelegram;
  private key: string;
  private destroyed = false;
  /** Hit a number Telegram does not answer for: from then on nothing of this connection settles. */
  private hung = false;
  private readonly listeners = new Set<() => void>();

  constructor(fake: FakeTelegram, key: string) {
    this.fake = fake;
    this.key = key;
  }

  private async step(op: FakeOperation): Promise<KeyState> {
    if (this.hung || this.fake.silentKey(this.key)) {
      this.hung = true;
      return never();
    }
    if (this.destroyed) throw new TelegramError('Unavailable');
    await this.fake.step(op, this.key);
    return this.fake.keyState(this.key);
  }

  /** GramJS switches DC by discarding the auth key: the connection moves to a fresh key on the new DC. */
  private migrate(dcId: number): void {
    this.fake.disconnect(this.key);
    this.key = this.fake.newKey(dcId);
    this.fake.connect(this.key);
    const state = this.fake.keyState(this.key);
    for (const listener of this.listeners) state.listeners.add(listener);
  }

  private authorize(state: KeyState, userId: string): port.TelegramUser {
    const account = this.fake.accountById(userId);
    if (account === undefined) throw new TelegramError('PhoneInvalid');
    if (account.script.password !== undefined && state.passwordPendingFor !== userId) {
      state.passwordPendingFor = userId;
      throw new TelegramError('PasswordNeeded');
    }
    state.userId = userId;
    state.passwordPendingFor = undefined;
    return account.user;
  }

  async sendCode(phone: string): Promise<port.SentCode> {
    if (this.fake.isSilent(phone)) {
      this.hung = true;
      return never();
    }
    const state = await this.step('sendCode');
    if (!/^\d{7,15}$/.test(normalize(phone))) throw new TelegramError('PhoneInvalid');
    const account = this.fake.account(phone);
    if (account === undefined) throw new TelegramError('PhoneInvalid');
    const home = account.script.dcId ?? 2;
    if (state.dcId !== home) {
      // PHONE_MIGRATE_X, handled inside invoke: new DC, new auth key.
      this.migrate(home);
    }
    return this.fake.deliverCode(this.key, phone, 0);
  }

  async resendCode(phone: string, phoneCodeHash: string): Promise<port.SentCode> {
    await this.step('resendCode');
    const pending = this.fake.pendingCode(this.key, phone, phoneCodeHash);
    return this.fake.deliverCode(this.key, phone, pending.typeIndex + 1, pending);
  }

  async signIn(phone: string, phoneCodeHash: string, code: string): Promise<port.TelegramUser> {
    const state = await this.step('signIn');
    const pending = this.fake.pendingCode(this.key, phone, phoneCodeHash);
    if (pending.expired) throw new TelegramError('CodeExpired');
    if (pending.code !== code) throw new TelegramError('CodeInvalid');
    this.fake.dropCode(phoneCodeHash);
    const account = this.fake.account(phone);
    if (account === undefined) throw new TelegramError('PhoneInvalid');
    return this.authorize(state, account.user.id);
  }

  async checkPassword(password: string): Promise<port.TelegramUser> {
    const state = await this.step('checkPassword');
    const userId = state.passwordPendingFor;
    const account = userId !== undefined ? this.fake.accountById(userId) : undefined;
    if (userId === undefined || account === undefined) throw new TelegramError('SessionRevoked');
    if (account.script.password !== password) throw new TelegramError('PasswordInvalid');
    state.userId = userId;
    state.passwordPendingFor = undefined;
    return account.user;
  }

  async passwordHint(): Promise<string | undefined> {
    const state = await this.step('checkPassword');
    const userId = state.passwordPendingFor;
    return userId !== undefined ? this.fake.accountById(userId)?.script.hint : undefined;
  }

  private accepted(state: KeyState, userId: string): port.LoginTokenResult {
    const account = this.fake.accountById(userId);
    const home = account?.script.dcId ?? 2;
    if (state.dcId !== home) return { kind: 'migrate', dcId: home, token: randomBytes(16) };
    return { kind: 'success', user: this.authorize(state, userId) };
  }

  async exportLoginToken(): Promise<port.LoginTokenResult> {
    const state = await this.step('exportLoginToken');
    if (state.acceptedBy !== undefined) return this.accepted(state, state.acceptedBy);
    return { kind: 'token', ...this.fake.issueQrToken(this.key) };
  }

  async importLoginToken(dcId: number, _token: Buffer): Promise<port.LoginTokenResult> {
    const previous = await this.step('importLoginToken');
    const userId = previous.acceptedBy;
    if (userId === undefined) throw new TelegramError('SessionRevoked');
    this.migrate(dcId);
    const state = this.fake.keyState(this.key);
    const home = this.fake.accountById(userId)?.script.dcId ?? 2;
    if (dcId !== home) throw new TelegramError('Unavailable');
    return { kind: 'success', user: this.authorize(state, userId) };
  }

  onLoginTokenUpdate(listener: () => void): void {
    this.listeners.add(listener);
    this.fake.keyState(this.key).listeners.add(listener);
  }

  async logOut(): Promise<void> {
    const state = await this.step('logOut');
    state.userId = undefined;
    state.dead = 'revoked';
  }

  async getSelf(): Promise<port.TelegramUser> {
    const state = await this.step('getSelf');
    const account = state.userId !== undefined ? this.fake.accountById(state.userId) : undefined;
    if (account === undefined) throw new TelegramError('SessionRevoked');
    return account.user;
  }

  private async signedIn(op: FakeOperation): Promise<string> {
    const state = await this.step(op);
    if (state.userId === undefined) throw new TelegramError('SessionRevoked');
    // Also when the first call after a takeover is a send: the demo chats exist wherever the account is reopened.
    if (this.fake.options.demo !== undefined) this.fake.channels.seedDemo(state.userId);
    return state.userId;
  }

  async chats(): Promise<port.TelegramChat[]> {
    return this.fake.channels.dialogsOf(await this.signedIn('getDialogs'));
  }

  async chat(peer: port.TelegramPeer): Promise<port.TelegramChat> {
    return this.fake.channels.chatOf(await this.signedIn('getDialogs'), peer);
  }

  async publish(peer: port.TelegramPeer, post: port.OutgoingPost): Promise<{ messageId: number }> {
    const sent = this.fake.channels.publish(await this.signedIn('sendMessage'), peer, post);
    // Only this answer is lost: the connection itself still closes, as a crashed process's socket does.
    if (sent.hung) return never();
    return { messageId: sent.messageId };
  }

  async health(): Promise<boolean> {
    await this.getSelf();
    return true;
  }

  session(): string {
    return this.fake.sessionOf(this.key);
  }

  async destroy(): Promise<void> {
    if (this.hung) return never();
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.fake.options.latencyMs > 0) await sleep(this.fake.options.latencyMs);
    this.fake.disconnect(this.key);
  }
}
