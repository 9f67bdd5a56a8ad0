import { session } from './api.ts';

/** The integration-service API as the UI uses it (through the gateway at /api/telegram). */
export interface PhoneLogin {
  loginId: string;
  codeType: string;
  nextCodeType?: string | null;
  timeout?: number | null;
}

export interface LoginState {
  loginId: string;
  state: 'waiting' | 'code_sent' | 'password_required' | 'connected' | 'failed' | 'expired' | string;
  reason?: string;
  url?: string;
  expiresAt?: string;
  /** The QR code as a PNG data URL. */
  qrPng?: string;
  passwordHint?: string | null;
  accountId?: string;
}

export interface TelegramAccount {
  id: string;
  phone?: string | null;
  username?: string | null;
  firstName?: string | null;
  displayName?: string | null;
  state?: string;
  reason?: string;
  createdAt?: string;
}

export const telegram = {
  startPhone: (phone: string) => session.call<PhoneLogin>('POST', '/telegram/logins/phone', { phone }),
  resend: (loginId: string) => session.call<PhoneLogin>('POST', `/telegram/logins/${loginId}/resend`, {}),
  code: (loginId: string, code: string) =>
    session.call<LoginState>('POST', `/telegram/logins/${loginId}/code`, { code }),
  password: (loginId: string, password: string) =>
    session.call<LoginState>('POST', `/telegram/logins/${loginId}/password`, { password }),
  startQr: () => session.call<LoginState>('POST', '/telegram/logins/qr', {}),
  login: (loginId: string) => session.call<LoginState>('GET', `/telegram/logins/${loginId}`),
  accounts: () => session.call<{ accounts: TelegramAccount[] }>('GET', '/telegram/accounts'),
  disconnect: (id: string) => session.call<undefined>('DELETE', `/telegram/accounts/${id}`),
  logs: (page: number) =>
    session.call<{ entries: Record<string, unknown>[]; page?: number; total?: number }>(
      'GET',
      `/telegram/logs?page=${page}`,
    ),
  errorStats: () =>
    session.call<{ windowHours?: number; errors?: Record<string, number> }>('GET', '/telegram/stats/errors'),
};

/** Human words for Telegram's code delivery types. */
export function describeCodeType(type: string | null | undefined): string {
  switch ((type ?? '').toLowerCase()) {
    case 'app':
      return 'in the Telegram app on another device';
    case 'sms':
      return 'by SMS';
    case 'call':
      return 'by phone call';
    case 'flash_call':
    case 'flashcall':
      return 'by a missed call (the code is the last digits of the number)';
    case 'email':
      return 'by email';
    default:
      return type ? `by ${type}` : 'by Telegram';
  }
}
