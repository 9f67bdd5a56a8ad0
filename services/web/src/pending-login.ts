/**
 * A Telegram login in progress, remembered per tab (sessionStorage) so leaving the page or reloading
 * resumes it from the server's state (GET /telegram/logins/{id}) instead of starting over — which
 * would make Telegram send another code. Cancelling forgets it here and ends it at the server
 * (DELETE /telegram/logins/{id}).
 */
export interface PendingLogin {
  loginId: string;
  method: 'phone' | 'qr';
  /** E.164, for the code step's "we sent a code to …". */
  phone?: string;
}

const KEY = 'cf-pending-login';

export function pendingLogin(method: PendingLogin['method']): PendingLogin | undefined {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as PendingLogin | null;
    return value !== null && value.method === method && typeof value.loginId === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function rememberLogin(login: PendingLogin): void {
  sessionStorage.setItem(KEY, JSON.stringify(login));
}

export function forgetLogin(): void {
  sessionStorage.removeItem(KEY);
}
