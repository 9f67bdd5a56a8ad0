import type { LoginRow } from '../db/store.ts';
import type { Held } from '../ownership/holder.ts';
import { asTelegramError, TelegramError, type LoginTokenResult } from '../telegram/port.ts';
import type { LoginFlow } from './flow.ts';

const qrUrl = (token: Buffer): string => `tg://login?token=${token.toString('base64url')}`;

/**
 * Logins by QR code: export a login token, show it as `tg://login?token=...`, export again before it
 * expires, and finish when Telegram reports it accepted (importing it on the account's DC when told to).
 */
export class QrLogins {
  private readonly flow: LoginFlow;

  constructor(flow: LoginFlow) {
    this.flow = flow;
  }

  async start(userId: string): Promise<LoginRow> {
    const held = await this.flow.begin(userId, 'qr', null);
    this.watch(held);
    return this.flow.holder.serialized(held, async () => {
      await this.step(held, 'start');
      await this.flow.log({ userId, operation: 'login.qr.start', outcome: 'ok', loginId: held.id });
      return held.login!;
    });
  }

  /** An adopted QR login: listen again and show a fresh token of the same session. */
  async resume(held: Held): Promise<void> {
    this.watch(held);
    await this.flow.holder.serialized(held, () => this.step(held, 'refresh'));
  }

  private watch(held: Held): void {
    held.conn.onLoginTokenUpdate(() => {
      if (held.dropped) return;
      void this.flow.holder
        .serialized(held, () => this.step(held, 'accepted'))
        .catch((error: unknown) => {
          this.flow.logger.warn({ err: error, loginId: held.id }, 'QR login step failed');
        });
    });
  }

  /** Exports the QR token (again) and acts on what Telegram says: new token, DC migration, or signed in. */
  private async step(held: Held, why: 'start' | 'refresh' | 'accepted'): Promise<void> {
    const row = held.login;
    if (held.dropped || row === undefined || row.state !== 'waiting') return;
    let result: LoginTokenResult;
    try {
      result = await held.conn.exportLoginToken();
      if (result.kind === 'migrate') result = await held.conn.importLoginToken(result.dcId, result.token);
    } catch (error) {
      const domain = asTelegramError(error);
      if (domain.kind === 'PasswordNeeded') {
        await this.flow.needPassword(held, row, 'login.qr.accepted');
        return;
      }
      if (domain.kind === 'FloodWait' && why !== 'start') {
        this.flow.metrics.floodWaits.inc({ operation: 'login.qr.refresh' });
        this.schedule(held, domain.seconds * 1000);
        return;
      }
      if (domain.kind === 'QrTokenInvalid' && why !== 'start') {
        // The scanned token went stale on the way (expired, used): show a fresh one.
        this.schedule(held, 500);
        return;
      }
      await this.flow.fail(held, row, domain, why === 'start' ? 'login.qr.start' : 'login.qr.refresh');
      return;
    }
    if (result.kind === 'success') {
      await this.flow.complete(held, row, result.user, 'login.qr.accepted');
      return;
    }
    if (result.kind === 'migrate') throw new TelegramError('Unavailable');
    await this.flow.save(held, {
      qr_url: qrUrl(result.token),
      qr_expires_at: result.expiresAt,
      session_ciphertext: await this.flow.sealedSession(held),
    });
    const refreshIn = result.expiresAt.getTime() - Date.now() - this.flow.options.qrRefreshMarginSeconds * 1000;
    this.schedule(held, Math.max(500, refreshIn));
  }

  private schedule(held: Held, ms: number): void {
    clearTimeout(held.timer);
    held.timer = setTimeout(() => {
      void this.flow.holder
        .serialized(held, () => this.step(held, 'refresh'))
        .catch((error: unknown) => {
          this.flow.logger.warn({ err: error, loginId: held.id }, 'QR token refresh failed');
        });
    }, ms);
    held.timer.unref();
  }
}
