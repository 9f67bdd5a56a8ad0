import type { LoginRow } from '../db/store.ts';
import type { Held } from '../ownership/holder.ts';
import { asTelegramError, TelegramError, type SentCode, type TelegramUser } from '../telegram/port.ts';
import type { LoginFlow } from './flow.ts';

/** Logins by phone number: Telegram sends a code (app, SMS, call...), the user types it in. */
export class PhoneLogins {
  private readonly flow: LoginFlow;

  constructor(flow: LoginFlow) {
    this.flow = flow;
  }

  async start(userId: string, phone: string): Promise<LoginRow> {
    const held = await this.flow.begin(userId, 'phone', phone);
    return this.flow.holder.serialized(held, async () => {
      let sent: SentCode;
      try {
        sent = await held.conn.sendCode(phone);
      } catch (error) {
        return this.flow.fail(held, held.login!, asTelegramError(error), 'login.phone.start');
      }
      // Only now: PHONE_MIGRATE inside SendCode replaced the auth key and DC.
      const row = await this.saveCode(held, sent);
      await this.flow.log({ userId, operation: 'login.phone.start', outcome: 'ok', loginId: held.id });
      return row;
    });
  }

  /** Sends the code again by the next delivery method Telegram offers. */
  async resend(userId: string, loginId: string): Promise<LoginRow> {
    return this.flow.step(userId, loginId, ['code_sent'], async (held, row) => {
      // Telegram named no next delivery method (or said SEND_CODE_UNAVAILABLE): asking again cannot help.
      if (row.next_code_type === null) throw new TelegramError('CodeUnavailable');
      const wait = await this.flow.store.cooldowns.of(row.phone!);
      if (wait > 0) throw new TelegramError('FloodWait', { seconds: wait });
      const undo = await this.flow.limits.codeRequested(row.phone!);
      let sent: SentCode;
      try {
        sent = await held.conn.resendCode(row.phone!, row.phone_code_hash!);
      } catch (error) {
        await undo();
        return this.flow.fail(held, row, asTelegramError(error), 'login.phone.resend');
      }
      const saved = await this.saveCode(held, sent);
      await this.flow.log({ userId, operation: 'login.phone.resend', outcome: 'ok', loginId });
      return saved;
    });
  }

  async submitCode(userId: string, loginId: string, code: string): Promise<LoginRow> {
    return this.flow.step(userId, loginId, ['code_sent'], async (held, row) => {
      let user: TelegramUser;
      try {
        user = await held.conn.signIn(row.phone!, row.phone_code_hash!, code);
      } catch (error) {
        const domain = asTelegramError(error);
        if (domain.kind === 'PasswordNeeded') return this.flow.needPassword(held, row, 'login.phone.code');
        return this.flow.fail(held, row, domain, 'login.phone.code');
      }
      return this.flow.complete(held, row, user, 'login.phone.code');
    });
  }

  private async saveCode(held: Held, sent: SentCode): Promise<LoginRow> {
    return this.flow.save(held, {
      state: 'code_sent',
      retry_after: null,
      phone_code_hash: sent.phoneCodeHash,
      code_type: sent.codeType,
      next_code_type: sent.nextCodeType ?? null,
      code_timeout: sent.timeout ?? null,
      session_ciphertext: await this.flow.sealedSession(held),
    });
  }
}
