import type { CodeType, TelegramUser } from './port.ts';

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
  | 'getSelf'
  | 'getDialogs'
  | 'sendMessage';

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
