import type { Context, Next } from 'koa';
import { HttpProblem } from '@cf/kit';
import { KINDS } from '../telegram/errors.ts';
import { TelegramError } from '../telegram/port.ts';

const PROBLEM_BASE = 'https://content-factory.local/problems/telegram/';
/** The HTTP answer for a Telegram domain error, by the table in `telegram/errors.ts`. */
export function problemFor(error: TelegramError): HttpProblem {
  const rule = KINDS[error.kind];
  const type = PROBLEM_BASE + error.kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const wait = rule.wait !== undefined ? Math.max(1, error.seconds || rule.wait.seconds) : rule.retryAfter;
  return new HttpProblem(rule.status, {
    type,
    detail: rule.wait !== undefined ? `${rule.detail} (${wait} s)` : rule.detail,
    ...(wait !== undefined ? { headers: { 'Retry-After': String(wait) } } : {}),
    extensions: { kind: error.kind, ...(wait !== undefined ? { retryAfter: wait } : {}) },
  });
}

/** Route middleware: a Telegram domain error thrown below becomes its problem answer. */
export async function telegramProblems(_ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    throw error instanceof TelegramError ? problemFor(error) : error;
  }
}
