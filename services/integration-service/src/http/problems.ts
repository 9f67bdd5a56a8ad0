import type { Context, Next } from 'koa';
import { HttpProblem } from '@cf/kit';
import { TelegramError, type TelegramErrorKind } from '../telegram/port.ts';

const PROBLEM_BASE = 'https://content-factory.local/problems/telegram/';
/** Seconds a client waits before retrying after a timeout or an outage. */
const RETRY_AFTER_OUTAGE = 5;

/** Status and text of each Telegram error kind that is not a flood wait. */
const ANSWERS: Record<Exclude<TelegramErrorKind, 'FloodWait' | 'Timeout' | 'Unreachable'>, [number, string]> = {
  CodeInvalid: [400, 'the code is not correct'],
  CodeExpired: [400, 'the code has expired; ask for a new one'],
  PasswordInvalid: [400, 'the two-step verification password is wrong'],
  PhoneInvalid: [400, 'Telegram does not accept this phone number'],
  PasswordNeeded: [409, 'the two-step verification password is required'],
  PhoneBanned: [403, 'Telegram has banned this phone number'],
  SessionRevoked: [410, 'the Telegram session was ended; connect again'],
  KeyDuplicated: [409, 'Telegram saw this session in two places and ended it; connect again'],
  Unavailable: [502, 'Telegram did not answer as expected'],
};

/** The HTTP answer for a Telegram domain error. */
export function problemFor(error: TelegramError): HttpProblem {
  const type = PROBLEM_BASE + error.kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const extensions = { kind: error.kind };
  if (error.kind === 'FloodWait') {
    const seconds = Math.max(1, error.seconds);
    return new HttpProblem(429, {
      type,
      detail: `Telegram asks to wait ${error.seconds} s before trying again`,
      headers: { 'Retry-After': String(seconds) },
      extensions: { ...extensions, retryAfter: seconds },
    });
  }
  if (error.kind === 'Timeout' || error.kind === 'Unreachable') {
    const timeout = error.kind === 'Timeout';
    return new HttpProblem(timeout ? 504 : 503, {
      type,
      detail: timeout
        ? 'Telegram did not answer in time; try again shortly'
        : 'Telegram cannot be reached; try again shortly',
      headers: { 'Retry-After': String(RETRY_AFTER_OUTAGE) },
      extensions: { ...extensions, retryAfter: RETRY_AFTER_OUTAGE },
    });
  }
  const [status, detail] = ANSWERS[error.kind];
  return new HttpProblem(status, { type, detail, extensions });
}

/** Route middleware: a Telegram domain error thrown below becomes its problem answer. */
export async function telegramProblems(_ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    throw error instanceof TelegramError ? problemFor(error) : error;
  }
}
