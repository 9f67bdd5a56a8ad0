/**
 * The one interface every Telegram call goes through. The service never imports a Telegram library
 * anywhere else: swapping GramJS for its fork `teleproto` (or a fake) is a change of adapter only.
 */

export type CodeType = 'app' | 'sms' | 'call' | 'flash_call' | 'missed_call' | 'email' | 'fragment_sms' | 'other';

export interface SentCode {
  /** Tied to the connection's auth key: sign-in must use the same (saved) session. */
  phoneCodeHash: string;
  codeType: CodeType;
  nextCodeType: CodeType | undefined;
  /** Seconds before `resend` may pick the next type; undefined when Telegram gives none. */
  timeout: number | undefined;
}

export interface TelegramUser {
  id: string;
  firstName: string | undefined;
  lastName: string | undefined;
  username: string | undefined;
  phone: string | undefined;
}

/** What exporting (or importing) a QR login token gave. */
export type LoginTokenResult =
  | { kind: 'token'; token: Buffer; expiresAt: Date }
  | { kind: 'migrate'; dcId: number; token: Buffer }
  | { kind: 'success'; user: TelegramUser };

/** A channel or supergroup as MTProto addresses it: `InputPeerChannel(channel_id, access_hash)`. */
export interface TelegramPeer {
  id: string;
  accessHash: string;
}

/** A channel (broadcast) or supergroup from the account's dialogs, with what the account may do there. */
export interface TelegramChat extends TelegramPeer {
  kind: 'channel' | 'supergroup';
  title: string;
  username: string | undefined;
  /** `participants_count` when Telegram includes it; undefined otherwise. */
  memberCount: number | undefined;
  /** Creator, or an admin whose rights include posting (channels: `post_messages`; supergroups: any admin). */
  canPost: boolean;
}

/**
 * A formatting entity as Telegram's `MessageEntity` and Bot API `MessageEntity` both define it: UTF-16
 * `offset` and `length` into the text (core.telegram.org/api/entities).
 */
export interface MessageEntity {
  type: 'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'code' | 'pre' | 'text_link';
  offset: number;
  length: number;
  /** `text_link` only. */
  url?: string;
}

/** One post as sent: text (the caption when there are images), images (2–10 → an album), silent flag. */
export interface OutgoingPost {
  text: string;
  entities: MessageEntity[];
  images: { data: Buffer; mimeType: string }[];
  silent: boolean;
  /**
   * MTProto `random_id`s (signed 64-bit, decimal), one per message (one per image in an album): persisted
   * before the first attempt, so Telegram drops a repeated send with the same id instead of posting twice.
   */
  randomIds: string[];
}

/** One MTProto client on one session (auth key). Owned by exactly one pod at a time. */
export interface TelegramConnection {
  sendCode(phone: string): Promise<SentCode>;
  resendCode(phone: string, phoneCodeHash: string): Promise<SentCode>;
  /** Throws `PasswordNeeded` when the account has 2FA. */
  signIn(phone: string, phoneCodeHash: string, code: string): Promise<TelegramUser>;
  checkPassword(password: string): Promise<TelegramUser>;
  /** The 2FA hint, for the password step; undefined when none is set. */
  passwordHint(): Promise<string | undefined>;
  exportLoginToken(): Promise<LoginTokenResult>;
  /** After `migrate`: switches to `dcId` and imports the token there. */
  importLoginToken(dcId: number, token: Buffer): Promise<LoginTokenResult>;
  /** Called when Telegram reports the QR token was accepted (export again to learn the result). */
  onLoginTokenUpdate(listener: () => void): void;
  logOut(): Promise<void>;
  getSelf(): Promise<TelegramUser>;
  /** Channels and supergroups in the account's dialogs (`messages.getDialogs`), bounded to the first pages. */
  chats(): Promise<TelegramChat[]>;
  /** One chat again (`channels.getChannels`): title, member count and rights as of now. */
  chat(peer: TelegramPeer): Promise<TelegramChat>;
  /** Sends the post; the id of its (first) message. Throws `ChatWriteForbidden` when rights are gone. */
  publish(peer: TelegramPeer, post: OutgoingPost): Promise<{ messageId: number }>;
  /** True while the connection answers. */
  health(): Promise<boolean>;
  /** The session string as of now (changes after a DC migration). A secret: never log it. */
  session(): string;
  /** Ends the client for good (no reconnect loop). */
  destroy(): Promise<void>;
}

export interface TelegramPort {
  /** Connects on a saved session, or on a fresh one when `session` is undefined. */
  open(session: string | undefined): Promise<TelegramConnection>;
}

/** Telegram failures in our words; `telegram/errors.ts` says which RPC errors each stands for and how it is answered. */
export type TelegramErrorKind =
  | 'FloodWait'
  | 'PhoneFlood'
  | 'CodeInvalid'
  | 'CodeExpired'
  | 'CodeUnavailable'
  | 'PasswordNeeded'
  | 'PasswordInvalid'
  | 'PasswordChanged'
  | 'PhoneInvalid'
  | 'PhoneUnoccupied'
  | 'PhoneBanned'
  | 'PhoneProtected'
  | 'LoginRestart'
  | 'QrTokenInvalid'
  | 'Migrate'
  | 'SessionRevoked'
  | 'KeyDuplicated'
  | 'ClientOutdated'
  | 'ApiIdInvalid'
  /** The account may not post in this chat (any more): rights removed, banned, or not an admin. */
  | 'ChatWriteForbidden'
  /** The chat is gone or private to this account (CHANNEL_PRIVATE, CHANNEL_INVALID). */
  | 'ChatInvalid'
  | 'Unavailable'
  /** A call ran past its deadline (`operation` says which). */
  | 'Timeout'
  /** No data centre answered the connection (GramJS `connect()` returned false). */
  | 'Unreachable';

/** A Telegram failure in our own words. `message` never contains secrets. */
export class TelegramError extends Error {
  readonly kind: TelegramErrorKind;
  /** For kinds where Telegram says to wait (FloodWait): seconds to wait; 0 when it gave none. */
  readonly seconds: number;
  /** Only for `Timeout`: the port operation that ran out of time. */
  readonly operation: string | undefined;

  constructor(kind: TelegramErrorKind, options: { seconds?: number; cause?: unknown; operation?: string } = {}) {
    super(options.seconds !== undefined ? `${kind}(${options.seconds})` : kind, { cause: options.cause });
    this.name = 'TelegramError';
    this.kind = kind;
    this.seconds = options.seconds ?? 0;
    this.operation = options.operation;
  }
}

/** Any failure of a Telegram call as a domain error; what the adapter did not recognise is `Unavailable`. */
export function asTelegramError(error: unknown): TelegramError {
  return error instanceof TelegramError ? error : new TelegramError('Unavailable', { cause: error });
}

export const floodWait = (seconds: number): TelegramError => new TelegramError('FloodWait', { seconds });
