import { msg } from '@lit/localize';
import { api } from './api/client.ts';
import { count, list, record, text } from './api/read.ts';
import { session } from './api/session.ts';
import { entryFor, phrase, type Phrases } from './i18n/code-words.ts';

/** A login as integration-service reports it (GET /telegram/logins/{id}). */
export interface LoginState {
  loginId: string;
  method: 'phone' | 'qr';
  state: string;
  codeType: string | undefined;
  nextCodeType: string | undefined;
  /** Seconds before a resend is allowed. */
  timeout: number | undefined;
  url: string | undefined;
  qrPng: string | undefined;
  reason: string | undefined;
}

export interface TelegramAccount {
  id: string;
  phone: string | undefined;
  username: string | undefined;
  displayName: string | undefined;
  state: string;
  createdAt: string | undefined;
}

export interface LogEntry {
  id: string;
  at: string | undefined;
  operation: string;
  outcome: string;
  errorKind: string | undefined;
  accountId: string | undefined;
}

function loginFrom(body: unknown): LoginState {
  return {
    loginId: text(body, 'loginId') ?? '',
    method: text(body, 'method') === 'qr' ? 'qr' : 'phone',
    state: text(body, 'state') ?? 'failed',
    codeType: text(body, 'codeType'),
    nextCodeType: text(body, 'nextCodeType'),
    timeout: count(body, 'timeout'),
    url: text(body, 'url'),
    qrPng: text(body, 'qrPng'),
    reason: text(body, 'reason'),
  };
}

function accountFrom(body: unknown): TelegramAccount {
  return {
    id: text(body, 'id') ?? '',
    phone: text(body, 'phone'),
    username: text(body, 'username'),
    displayName: text(body, 'displayName'),
    state: text(body, 'state') ?? 'connected',
    createdAt: text(body, 'createdAt'),
  };
}

const forLogin = (id: string) => ({ params: { path: { id } } });

/** integration-service through the gateway, as the UI uses it. */
export const telegram = {
  startPhone: async (phone: string) =>
    loginFrom(await session.call(() => api.POST('/api/telegram/logins/phone', { body: { phone } }))),
  /** Ends a pending login at the server (its Telegram client and pending slot are freed at once). */
  cancel: async (loginId: string) =>
    loginFrom(await session.call(() => api.DELETE('/api/telegram/logins/{id}', forLogin(loginId)))),
  resend: async (loginId: string) =>
    loginFrom(await session.call(() => api.POST('/api/telegram/logins/{id}/resend', forLogin(loginId)))),
  code: async (loginId: string, code: string) =>
    loginFrom(
      await session.call(() => api.POST('/api/telegram/logins/{id}/code', { ...forLogin(loginId), body: { code } })),
    ),
  password: async (loginId: string, password: string) =>
    loginFrom(
      await session.call(() =>
        api.POST('/api/telegram/logins/{id}/password', { ...forLogin(loginId), body: { password } }),
      ),
    ),
  startQr: async () => loginFrom(await session.call(() => api.POST('/api/telegram/logins/qr'))),
  login: async (loginId: string) =>
    loginFrom(await session.call(() => api.GET('/api/telegram/logins/{id}', forLogin(loginId)))),
  accounts: async () => list(await session.call(() => api.GET('/api/telegram/accounts')), 'accounts').map(accountFrom),
  disconnect: (id: string) => session.call(() => api.DELETE('/api/telegram/accounts/{id}', forLogin(id))),
  logs: async (page: number, pageSize: number) => {
    const body = await session.call(() => api.GET('/api/telegram/logs', { params: { query: { page, pageSize } } }));
    const entries: LogEntry[] = list(body, 'entries').map((entry) => ({
      id: text(entry, 'id') ?? '',
      at: text(entry, 'at'),
      operation: text(entry, 'operation') ?? '',
      outcome: text(entry, 'outcome') ?? '',
      errorKind: text(entry, 'errorKind'),
      accountId: text(entry, 'accountId'),
    }));
    return { entries, total: count(body, 'total') ?? entries.length };
  },
  errorStats: async () => {
    const body = await session.call(() => api.GET('/api/telegram/stats/errors'));
    const counts = Object.entries(record(body, 'errors')).filter(
      (entry): entry is [string, number] => typeof entry[1] === 'number',
    );
    return { windowHours: count(body, 'windowHours') ?? 24, counts };
  },
};

/** The account's name for people: display name, else @username, else the formatted number. */
export function accountName(account: TelegramAccount, formatPhone: (phone: string) => string): string {
  return (
    account.displayName ??
    (account.username ? `@${account.username}` : undefined) ??
    (account.phone ? formatPhone(account.phone) : msg('Telegram account', { id: 'acc.unnamed' }))
  );
}

const flashCall = phrase('by a missed call (the code is the last digits of the number)', 'code.flash');

/** Human words for Telegram's code delivery types (in lower case). */
const codeTypes: Phrases = {
  app: phrase('in the Telegram app on another device', 'code.app'),
  sms: phrase('by SMS', 'code.sms'),
  call: phrase('by phone call', 'code.call'),
  flash_call: flashCall,
  flashcall: flashCall,
  email: phrase('by email', 'code.email'),
};

export function describeCodeType(type: string | null | undefined): string {
  return entryFor(codeTypes, (type ?? '').toLowerCase(), phrase('by Telegram', 'code.other'))();
}
