import { z } from 'zod';

// What each route answers on success, as zod schemas: the OpenAPI document's response bodies come from
// these (issue 22), and the web's typed client from that document. Timestamps are JSON-serialised `Date`s.

const Timestamp = z.iso.datetime();

/** `loginView`: only what the login's state needs; the `can*` flags say what the UI may offer now. */
export const Login = z.object({
  loginId: z.uuid(),
  method: z.enum(['phone', 'qr']),
  state: z.enum(['code_sent', 'waiting', 'password_required', 'connected', 'failed', 'expired']),
  canResend: z.boolean(),
  canSubmitCode: z.boolean(),
  canSubmitPassword: z.boolean(),
  /** Seconds until Telegram lets the next step through; present only while waiting. */
  retryAfter: z.int().min(1).optional(),
  /** Phone logins: the number (E.164), how the code was sent, what a resend would use, and its timeout (s). */
  phone: z.string().nullable().optional(),
  codeType: z.string().nullable().optional(),
  nextCodeType: z.string().nullable().optional(),
  timeout: z.int().nullable().optional(),
  /** A waiting QR login: the `tg://login` URL, when it expires, and its QR code. */
  url: z.string().optional(),
  expiresAt: Timestamp.optional(),
  qrSvg: z.string().optional(),
  qrPng: z.string().optional(),
  passwordHint: z.string().nullable().optional(),
  /** A failed login: the error kind (see `telegram/errors.ts`), or `Cancelled`. */
  reason: z.string().nullable().optional(),
  accountId: z.uuid().optional(),
  createdAt: Timestamp,
});

/** `accountView`: never its session. `connectedHere` only on the single-account read. */
export const Account = z.object({
  id: z.uuid(),
  telegramUserId: z.string(),
  phone: z.string().nullable(),
  username: z.string().nullable(),
  displayName: z.string().nullable(),
  state: z.enum(['connected', 'revoked', 'failed']),
  reason: z.string().optional(),
  connectedHere: z.boolean().optional(),
  createdAt: Timestamp,
});

export const AccountList = z.object({ accounts: z.array(Account) });

export const LogPage = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      at: Timestamp,
      operation: z.string(),
      outcome: z.enum(['ok', 'error']),
      errorKind: z.string().nullable(),
      loginId: z.uuid().nullable(),
      accountId: z.uuid().nullable(),
    }),
  ),
  page: z.int().min(1),
  pageSize: z.int().min(1).max(100),
  total: z.int().min(0),
});

export const ErrorStats = z.object({
  windowHours: z.int().min(1),
  /** Error kind → count. */
  errors: z.record(z.string(), z.int().min(0)),
});

/** A bot: never its token. */
export const Bot = z.object({
  id: z.uuid(),
  telegramBotId: z.string(),
  username: z.string(),
  name: z.string(),
  createdAt: Timestamp,
});

export const BotList = z.object({ bots: z.array(Bot) });
