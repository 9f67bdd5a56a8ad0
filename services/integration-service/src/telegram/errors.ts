/**
 * The one table of Telegram errors: what each RPC error of the methods this service calls means here
 * (its kind), and how each kind is answered (HTTP status, whether Telegram asked us to wait, whether the
 * login or the session is over). Sources: the "Possible errors" of core.telegram.org/method/auth.sendCode,
 * auth.resendCode, auth.signIn, auth.checkPassword, account.getPassword, auth.exportLoginToken,
 * auth.importLoginToken, auth.logOut and users.getUsers, and the generic 303/401/406/420/500 errors of
 * core.telegram.org/api/errors. The problem `type` of a kind is `…/problems/telegram/<kebab-kind>`: stable,
 * for the UI's message catalogue.
 */
import type { TelegramErrorKind } from './port.ts';

export interface KindRule {
  /** HTTP status at the edge. */
  status: number;
  /**
   * Telegram asked to wait. The wait (seconds from the error, e.g. FLOOD_WAIT_X, else `seconds`) is stored
   * on the login and on the phone number, so a retry inside it is answered here and never reaches Telegram.
   */
  wait?: { seconds: number };
  /** A client may try again after this many seconds (Retry-After), the service or Telegram being the cause. */
  retryAfter?: number;
  /** The login cannot go on: it is marked failed and its client let go. (Any failure to start also is.) */
  endsLogin?: true;
  /** A connected account's session is over (health check, reconnect): marked revoked or failed. */
  endsSession?: true;
  /** English fallback; the UI shows its own text for the problem type. */
  detail: string;
}

/** How each kind is answered. */
export const KINDS: Record<TelegramErrorKind, KindRule> = {
  FloodWait: { status: 429, wait: { seconds: 60 }, detail: 'Telegram asks to wait before trying again' },
  // Telegram gives no duration for these; its per-number code limits reset within a day.
  PhoneFlood: {
    status: 429,
    wait: { seconds: 86_400 },
    detail: 'Telegram refuses more codes or attempts for this number for now',
  },
  CodeInvalid: { status: 400, detail: 'the code is not correct' },
  CodeExpired: { status: 400, detail: 'the code has expired; ask for a new one' },
  CodeUnavailable: { status: 409, detail: 'Telegram has no other way to send the code; use the one received' },
  PasswordNeeded: { status: 409, detail: 'the two-step verification password is required' },
  PasswordInvalid: { status: 400, detail: 'the two-step verification password is wrong' },
  PasswordChanged: { status: 409, detail: 'the two-step verification settings changed; enter the password again' },
  PhoneInvalid: { status: 400, endsLogin: true, detail: 'Telegram does not accept this phone number' },
  PhoneUnoccupied: { status: 400, endsLogin: true, detail: 'no Telegram account uses this phone number' },
  PhoneBanned: { status: 403, endsLogin: true, endsSession: true, detail: 'Telegram has banned this phone number' },
  PhoneProtected: { status: 403, endsLogin: true, detail: 'Telegram does not allow logging in with this number here' },
  LoginRestart: { status: 409, endsLogin: true, detail: 'Telegram asks to start the login again' },
  QrTokenInvalid: { status: 409, detail: 'the QR code is no longer valid; scan the new one' },
  Migrate: { status: 503, retryAfter: 1, detail: 'Telegram moved the account to another data centre; try again' },
  SessionRevoked: {
    status: 410,
    endsLogin: true,
    endsSession: true,
    detail: 'the Telegram session was ended; connect again',
  },
  KeyDuplicated: {
    status: 409,
    endsLogin: true,
    endsSession: true,
    detail: 'Telegram saw this session in two places and ended it; connect again',
  },
  ClientOutdated: {
    status: 502,
    endsLogin: true,
    detail: 'Telegram requires a newer client; the operators must update',
  },
  ApiIdInvalid: {
    status: 502,
    endsLogin: true,
    detail: 'the Telegram API credentials were refused; the operators must fix them',
  },
  ChatWriteForbidden: { status: 403, detail: 'the account may not post in this chat any more' },
  ChatInvalid: { status: 404, detail: 'the chat is gone or no longer visible to this account' },
  Unavailable: { status: 502, detail: 'Telegram did not answer as expected' },
  Timeout: { status: 504, retryAfter: 5, detail: 'Telegram did not answer in time; try again shortly' },
  Unreachable: { status: 503, retryAfter: 5, detail: 'Telegram cannot be reached; try again shortly' },
};

export interface RpcErrorRow {
  /** Telegram's `error_message`; `X` stands for a number (seconds to wait, a DC id, debug info). */
  message: string;
  /** Telegram's `error_code`. */
  code: number;
  kind: TelegramErrorKind;
  /** Which of our calls document it (`*`: any call). */
  methods: string;
}

/** Every error those methods document, and its kind. What is not listed is `Unavailable`. */
export const RPC_ERRORS: readonly RpcErrorRow[] = [
  { message: 'FLOOD_WAIT_X', code: 420, kind: 'FloodWait', methods: '*' },
  { message: 'FLOOD_PREMIUM_WAIT_X', code: 420, kind: 'FloodWait', methods: '*' },
  { message: 'FLOOD_TEST_PHONE_WAIT_X', code: 420, kind: 'FloodWait', methods: 'auth.sendCode' },
  { message: 'PHONE_NUMBER_FLOOD', code: 400, kind: 'PhoneFlood', methods: 'auth.sendCode' },
  { message: 'PHONE_PASSWORD_FLOOD', code: 406, kind: 'PhoneFlood', methods: 'auth.sendCode' },
  { message: 'PHONE_CODE_INVALID', code: 400, kind: 'CodeInvalid', methods: 'auth.signIn' },
  { message: 'PHONE_CODE_EMPTY', code: 400, kind: 'CodeInvalid', methods: 'auth.signIn, auth.resendCode' },
  { message: 'PHONE_CODE_EXPIRED', code: 400, kind: 'CodeExpired', methods: 'auth.signIn, auth.resendCode' },
  { message: 'SEND_CODE_UNAVAILABLE', code: 406, kind: 'CodeUnavailable', methods: 'auth.resendCode' },
  { message: 'SESSION_PASSWORD_NEEDED', code: 401, kind: 'PasswordNeeded', methods: 'auth.signIn' },
  { message: 'PASSWORD_HASH_INVALID', code: 400, kind: 'PasswordInvalid', methods: 'auth.checkPassword' },
  { message: 'PASSWORD_EMPTY', code: 400, kind: 'PasswordInvalid', methods: 'auth.checkPassword' },
  { message: 'SRP_ID_INVALID', code: 400, kind: 'PasswordChanged', methods: 'auth.checkPassword' },
  { message: 'SRP_PASSWORD_CHANGED', code: 400, kind: 'PasswordChanged', methods: 'auth.checkPassword' },
  { message: 'PHONE_NUMBER_INVALID', code: 406, kind: 'PhoneInvalid', methods: 'auth.sendCode, auth.signIn' },
  { message: 'PHONE_NUMBER_UNOCCUPIED', code: 400, kind: 'PhoneUnoccupied', methods: 'auth.signIn' },
  { message: 'PHONE_NUMBER_APP_SIGNUP_FORBIDDEN', code: 400, kind: 'PhoneUnoccupied', methods: 'auth.sendCode' },
  { message: 'PHONE_NUMBER_BANNED', code: 400, kind: 'PhoneBanned', methods: 'auth.sendCode' },
  { message: 'USER_DEACTIVATED_BAN', code: 401, kind: 'PhoneBanned', methods: '*' },
  { message: 'PHONE_PASSWORD_PROTECTED', code: 400, kind: 'PhoneProtected', methods: 'auth.sendCode' },
  { message: 'AUTH_RESTART', code: 500, kind: 'LoginRestart', methods: 'auth.sendCode, auth.signIn' },
  { message: 'AUTH_RESTART_X', code: 500, kind: 'LoginRestart', methods: 'auth.sendCode' },
  { message: 'PHONE_CODE_HASH_EMPTY', code: 400, kind: 'LoginRestart', methods: 'auth.signIn, auth.resendCode' },
  { message: 'SIGN_IN_FAILED', code: 500, kind: 'LoginRestart', methods: 'auth.signIn' },
  { message: 'AUTH_TOKEN_ALREADY_ACCEPTED', code: 400, kind: 'QrTokenInvalid', methods: 'auth.importLoginToken' },
  { message: 'AUTH_TOKEN_EXPIRED', code: 400, kind: 'QrTokenInvalid', methods: 'auth.importLoginToken' },
  { message: 'AUTH_TOKEN_INVALID', code: 400, kind: 'QrTokenInvalid', methods: 'auth.importLoginToken' },
  { message: 'AUTH_TOKEN_INVALIDX', code: 400, kind: 'QrTokenInvalid', methods: 'auth.importLoginToken' },
  { message: 'AUTH_TOKEN_EXCEPTION', code: 400, kind: 'QrTokenInvalid', methods: 'auth.importLoginToken' },
  { message: 'PHONE_MIGRATE_X', code: 303, kind: 'Migrate', methods: 'auth.sendCode' },
  { message: 'NETWORK_MIGRATE_X', code: 303, kind: 'Migrate', methods: '*' },
  { message: 'USER_MIGRATE_X', code: 303, kind: 'Migrate', methods: '*' },
  { message: 'AUTH_KEY_UNREGISTERED', code: 401, kind: 'SessionRevoked', methods: '*' },
  { message: 'AUTH_KEY_INVALID', code: 401, kind: 'SessionRevoked', methods: '*' },
  { message: 'AUTH_KEY_PERM_EMPTY', code: 401, kind: 'SessionRevoked', methods: '*' },
  { message: 'SESSION_REVOKED', code: 401, kind: 'SessionRevoked', methods: '*' },
  { message: 'SESSION_EXPIRED', code: 401, kind: 'SessionRevoked', methods: '*' },
  { message: 'USER_DEACTIVATED', code: 401, kind: 'SessionRevoked', methods: '*' },
  { message: 'AUTH_KEY_DUPLICATED', code: 406, kind: 'KeyDuplicated', methods: '*' },
  { message: 'UPDATE_APP_TO_LOGIN', code: 406, kind: 'ClientOutdated', methods: 'auth.sendCode, auth.signIn' },
  { message: 'API_ID_INVALID', code: 400, kind: 'ApiIdInvalid', methods: 'auth.sendCode, auth.exportLoginToken' },
  { message: 'API_ID_PUBLISHED_FLOOD', code: 400, kind: 'ApiIdInvalid', methods: 'auth.sendCode' },
  { message: 'SMS_CODE_CREATE_FAILED', code: 400, kind: 'Unavailable', methods: 'auth.sendCode' },
  { message: 'AUTH_KEY_UNSYNCHRONIZED', code: 500, kind: 'Unavailable', methods: 'auth.checkPassword' },
  { message: 'CHAT_WRITE_FORBIDDEN', code: 403, kind: 'ChatWriteForbidden', methods: 'messages.sendMessage' },
  { message: 'CHAT_ADMIN_REQUIRED', code: 400, kind: 'ChatWriteForbidden', methods: 'messages.sendMessage' },
  { message: 'CHAT_SEND_PHOTOS_FORBIDDEN', code: 403, kind: 'ChatWriteForbidden', methods: 'messages.sendMedia' },
  { message: 'USER_BANNED_IN_CHANNEL', code: 400, kind: 'ChatWriteForbidden', methods: 'messages.sendMessage' },
  { message: 'CHANNEL_PRIVATE', code: 406, kind: 'ChatInvalid', methods: 'messages.sendMessage' },
  { message: 'CHANNEL_INVALID', code: 400, kind: 'ChatInvalid', methods: 'messages.sendMessage' },
  { message: 'Timeout', code: -503, kind: 'Timeout', methods: '*' },
];

const EXACT = new Map(RPC_ERRORS.filter((row) => !row.message.endsWith('_X')).map((row) => [row.message, row]));
const NUMBERED = RPC_ERRORS.filter((row) => row.message.endsWith('_X')).map(
  (row) => [new RegExp(`^${row.message.slice(0, -1)}(\\d+)$`), row] as const,
);

/** The kind of a Telegram `error_message`, and the number in it (FLOOD_WAIT_X: seconds). */
export function kindOfMessage(message: string): { kind: TelegramErrorKind; number?: number } {
  const exact = EXACT.get(message);
  if (exact !== undefined) return { kind: exact.kind };
  for (const [pattern, row] of NUMBERED) {
    const match = pattern.exec(message);
    if (match) return { kind: row.kind, number: Number(match[1]) };
  }
  return { kind: 'Unavailable' };
}
