import { randomBytes, randomInt } from 'node:crypto';
import { normalize } from './fake-session.ts';
import type { FakeAccountScript } from './fake-script.ts';
import { TelegramError, type SentCode } from './port.ts';

/** @internal A login code Telegram delivered and has not consumed yet. */
export interface PendingCode {
  key: string;
  phone: string;
  hash: string;
  code: string;
  typeIndex: number;
  expired: boolean;
}

/**
 * @internal The fake's login desk: the codes it delivered (auth.sendCode / resendCode) and the QR login
 * tokens it issued (auth.exportLoginToken), with their expiry.
 */
export class FakeCodes {
  private readonly codes = new Map<string, PendingCode>();
  private readonly qrTokens = new Map<string, { key: string; expiresAt: number }>();
  private readonly options: { qrTtlSeconds: number; demoCode: string | undefined };

  constructor(options: { qrTtlSeconds: number; demoCode: string | undefined }) {
    this.options = options;
  }

  lastCode(phone: string): string | undefined {
    return [...this.codes.values()].reverse().find((pending) => pending.phone === normalize(phone))?.code;
  }

  expireCode(phone: string): void {
    for (const pending of this.codes.values()) if (pending.phone === normalize(phone)) pending.expired = true;
  }

  deliver(
    key: string,
    phone: string,
    script: FakeAccountScript | undefined,
    typeIndex: number,
    previous?: PendingCode,
  ): SentCode {
    const types = script?.codeTypes ?? ['app', 'sms'];
    // auth.resendCode past the last delivery method: SEND_CODE_UNAVAILABLE.
    if (typeIndex >= types.length) throw new TelegramError('CodeUnavailable');
    const pending: PendingCode = {
      key,
      phone: normalize(phone),
      hash: previous?.hash ?? randomBytes(8).toString('hex'),
      code: this.options.demoCode ?? String(randomInt(10_000, 100_000)),
      typeIndex,
      expired: false,
    };
    this.codes.set(pending.hash, pending);
    return {
      phoneCodeHash: pending.hash,
      codeType: types[typeIndex] ?? 'app',
      nextCodeType: types[typeIndex + 1],
      timeout: types[typeIndex + 1] !== undefined ? 60 : undefined,
    };
  }

  pending(key: string, phone: string, hash: string): PendingCode {
    const pending = this.codes.get(hash);
    if (pending === undefined || pending.key !== key || pending.phone !== normalize(phone)) {
      throw new TelegramError('CodeExpired');
    }
    return pending;
  }

  drop(hash: string): void {
    this.codes.delete(hash);
  }

  issueQrToken(key: string): { token: Buffer; expiresAt: Date } {
    const token = randomBytes(24);
    const expiresAt = Date.now() + this.options.qrTtlSeconds * 1000;
    this.qrTokens.set(token.toString('base64url'), { key, expiresAt });
    return { token, expiresAt: new Date(expiresAt) };
  }

  qrToken(token: string): { key: string; expiresAt: number } | undefined {
    return this.qrTokens.get(token);
  }
}
