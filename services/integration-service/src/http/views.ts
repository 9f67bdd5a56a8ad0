import QRCode from 'qrcode';
import type { AccountRow, LoginRow } from '../db/store.ts';

/** A login as the API shows it: only what its state needs (the QR code as SVG and PNG while waiting). */
export async function loginView(row: LoginRow): Promise<Record<string, unknown>> {
  const waiting = row.state === 'waiting' && row.qr_url !== null;
  const retryAfter = row.retry_after !== null ? Math.ceil((row.retry_after.getTime() - Date.now()) / 1000) : 0;
  const ready = retryAfter <= 0;
  return {
    loginId: row.id,
    method: row.method,
    state: row.state,
    // What the UI may offer now: only what the state allows (resend only while Telegram names a next method).
    canResend: ready && row.state === 'code_sent' && row.next_code_type !== null,
    canSubmitCode: ready && row.state === 'code_sent',
    canSubmitPassword: ready && row.state === 'password_required',
    ...(!ready ? { retryAfter } : {}),
    ...(row.method === 'phone'
      ? { phone: row.phone, codeType: row.code_type, nextCodeType: row.next_code_type, timeout: row.code_timeout }
      : {}),
    ...(waiting
      ? {
          url: row.qr_url,
          expiresAt: row.qr_expires_at,
          qrSvg: await QRCode.toString(row.qr_url!, { type: 'svg', margin: 1 }),
          qrPng: await QRCode.toDataURL(row.qr_url!, { margin: 1 }),
        }
      : {}),
    ...(row.state === 'password_required' ? { passwordHint: row.password_hint } : {}),
    ...(row.state === 'failed' ? { reason: row.failure } : {}),
    ...(row.account_id !== null ? { accountId: row.account_id } : {}),
    createdAt: row.created_at,
  };
}

/** An account as the API shows it; never its session. */
export function accountView(row: AccountRow, connectedHere: boolean | undefined): Record<string, unknown> {
  return {
    id: row.id,
    telegramUserId: row.telegram_user_id,
    phone: row.phone,
    username: row.username,
    displayName: row.display_name,
    state: row.state,
    ...(row.failure !== null ? { reason: row.failure } : {}),
    ...(connectedHere !== undefined ? { connectedHere } : {}),
    createdAt: row.created_at,
  };
}

/** `+` and 7–15 digits (E.164), or undefined; spaces, dots, dashes and parentheses are ignored. */
export function normalizePhone(phone: string): string | undefined {
  const compact = phone.replace(/[\s().-]/g, '');
  return /^\+?[1-9]\d{6,14}$/.test(compact) ? `+${compact.replace(/^\+/, '')}` : undefined;
}
