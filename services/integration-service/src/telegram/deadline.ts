import type {
  LoginTokenResult,
  OutgoingPost,
  SentCode,
  TelegramChat,
  TelegramConnection,
  TelegramPeer,
  TelegramPort,
  TelegramUser,
} from './port.ts';
import { TelegramError } from './port.ts';

export interface DeadlineOptions {
  /** Longest a single Telegram call may take before it fails with `Timeout`, in ms. */
  callTimeoutMs: number;
  /** Longest `open` (connecting, DC handshake) may take, in ms. Default: `callTimeoutMs`. */
  connectTimeoutMs?: number;
  /** Told about every call that ran out of time, by operation name (for `telegram_call_timeouts_total`). */
  onTimeout?: (operation: string) => void;
}

/**
 * Runs `work` with a deadline: it settles as `work` does, or rejects with a `Timeout` TelegramError after `ms`.
 * What `work` does after the deadline is ignored (its rejection is swallowed, a late connection is `late`'s).
 */
export async function withDeadline<T>(
  operation: string,
  ms: number,
  work: () => Promise<T>,
  options: { onTimeout?: ((operation: string) => void) | undefined; late?: (value: T) => void } = {},
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const running = work();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      options.onTimeout?.(operation);
      reject(new TelegramError('Timeout', { operation }));
    }, ms);
  });
  running.then(
    (value) => {
      if (timedOut) options.late?.(value);
    },
    () => undefined,
  );
  try {
    return await Promise.race([running, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puts a deadline on every call through a Telegram port, whatever the adapter: GramJS can wait forever on
 * a dead data centre (gram-js/gramjs#566, #792), and nothing in this service may wait forever.
 */
export class DeadlinePort implements TelegramPort {
  private readonly inner: TelegramPort;
  private readonly options: DeadlineOptions;

  constructor(inner: TelegramPort, options: DeadlineOptions) {
    this.inner = inner;
    this.options = options;
  }

  async open(session: string | undefined): Promise<TelegramConnection> {
    const conn = await withDeadline(
      'open',
      this.options.connectTimeoutMs ?? this.options.callTimeoutMs,
      () => this.inner.open(session),
      // A connection that arrives after we gave up belongs to nobody: end it.
      { onTimeout: this.options.onTimeout, late: (late) => void late.destroy().catch(() => undefined) },
    );
    return new DeadlineConnection(conn, this.options);
  }
}

class DeadlineConnection implements TelegramConnection {
  private readonly inner: TelegramConnection;
  private readonly options: DeadlineOptions;

  constructor(inner: TelegramConnection, options: DeadlineOptions) {
    this.inner = inner;
    this.options = options;
  }

  private call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return withDeadline(operation, this.options.callTimeoutMs, work, { onTimeout: this.options.onTimeout });
  }

  sendCode(phone: string): Promise<SentCode> {
    return this.call('sendCode', () => this.inner.sendCode(phone));
  }

  resendCode(phone: string, phoneCodeHash: string): Promise<SentCode> {
    return this.call('resendCode', () => this.inner.resendCode(phone, phoneCodeHash));
  }

  signIn(phone: string, phoneCodeHash: string, code: string): Promise<TelegramUser> {
    return this.call('signIn', () => this.inner.signIn(phone, phoneCodeHash, code));
  }

  checkPassword(password: string): Promise<TelegramUser> {
    return this.call('checkPassword', () => this.inner.checkPassword(password));
  }

  passwordHint(): Promise<string | undefined> {
    return this.call('passwordHint', () => this.inner.passwordHint());
  }

  exportLoginToken(): Promise<LoginTokenResult> {
    return this.call('exportLoginToken', () => this.inner.exportLoginToken());
  }

  importLoginToken(dcId: number, token: Buffer): Promise<LoginTokenResult> {
    return this.call('importLoginToken', () => this.inner.importLoginToken(dcId, token));
  }

  onLoginTokenUpdate(listener: () => void): void {
    this.inner.onLoginTokenUpdate(listener);
  }

  logOut(): Promise<void> {
    return this.call('logOut', () => this.inner.logOut());
  }

  getSelf(): Promise<TelegramUser> {
    return this.call('getSelf', () => this.inner.getSelf());
  }

  chats(): Promise<TelegramChat[]> {
    return this.call('chats', () => this.inner.chats());
  }

  chat(peer: TelegramPeer): Promise<TelegramChat> {
    return this.call('chat', () => this.inner.chat(peer));
  }

  publish(peer: TelegramPeer, post: OutgoingPost): Promise<{ messageId: number }> {
    return this.call('publish', () => this.inner.publish(peer, post));
  }

  health(): Promise<boolean> {
    return this.call('health', () => this.inner.health());
  }

  session(): string {
    return this.inner.session();
  }

  /** Never throws and never hangs: a client that will not close within the deadline is abandoned. */
  async destroy(): Promise<void> {
    await this.call('destroy', () => this.inner.destroy()).catch(() => undefined);
  }
}
