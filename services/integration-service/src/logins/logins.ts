import { HttpProblem } from '@cf/kit';
import { PENDING_STATES, type Claim, type LoginRow } from '../db/store.ts';
import { runLimited } from '../ownership/run-limited.ts';
import { parseResource, resourceName } from '../resources.ts';
import type { TelegramConnection } from '../telegram/port.ts';
import { LoginFlow, type LoginDeps } from './flow.ts';
import { PhoneLogins } from './phone.ts';
import { QrLogins } from './qr.ts';

/** Telegram logins on this pod: the phone and QR flows, the shared password step, resume and expiry. */
export class Logins {
  readonly phone: PhoneLogins;
  readonly qr: QrLogins;
  private readonly flow: LoginFlow;

  constructor(deps: LoginDeps) {
    this.flow = new LoginFlow(deps);
    this.phone = new PhoneLogins(this.flow);
    this.qr = new QrLogins(this.flow);
    deps.holder.register('login', {
      adopt: (claims) => runLimited(claims, 16, (claim) => this.resume(claim)),
      sweep: () => this.expire(),
    });
  }

  submitPassword(userId: string, loginId: string, password: string) {
    return this.flow.submitPassword(userId, loginId, password);
  }

  /**
   * The caller gives a pending login up (issue 13), also while Telegram asks to wait: it fails as
   * `Cancelled`, its session and code hash are erased, and its connection, lease and pending slot are freed.
   * 404 when it is not the caller's, 409 when it is no longer pending.
   */
  cancel(userId: string, loginId: string): Promise<LoginRow> {
    const { store, holder, metrics } = this.flow;
    const held = holder.heldOrGone(resourceName('login', loginId));
    return holder.serialized(held, async () => {
      const row = held.login;
      if (held.dropped || row === undefined)
        throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
      if (row.user_id !== userId) throw HttpProblem.notFound('no such login');
      if (!PENDING_STATES.includes(row.state)) throw HttpProblem.conflict(`the login is ${row.state}`);
      const cancelled = await store.logins.update(row.id, holder.fence(held), {
        state: 'failed',
        failure: 'Cancelled',
        qr_url: null,
        session_ciphertext: null,
        phone_code_hash: null,
      });
      await holder.letGo(held);
      if (cancelled === undefined) throw HttpProblem.unavailable('ownership of the login moved; try again', 1);
      metrics.logins.inc({ method: row.method, outcome: 'Cancelled' });
      await this.flow.log({ userId, operation: 'login.cancel', outcome: 'ok', loginId });
      return cancelled;
    });
  }

  /** Pending logins past their deadline become `expired`; the ones held here let their client go. */
  private async expire(): Promise<void> {
    const { store, holder, metrics } = this.flow;
    for (const { id, method } of await store.logins.expire()) {
      metrics.logins.inc({ method, outcome: 'expired' });
      const held = holder.get(resourceName('login', id));
      if (held !== undefined) await holder.letGo(held);
    }
  }

  /** Picks up a pending login a dead pod left: same session, same state; a waiting QR login shows a new token. */
  private async resume(claim: Claim): Promise<void> {
    const { store, holder, cipher, logger } = this.flow;
    const loginId = parseResource(claim.resource)!.id;
    const row = await store.logins.byId(loginId);
    if (row === undefined || row.session_ciphertext === null || !PENDING_STATES.includes(row.state)) {
      await store.leases.release([claim]);
      return;
    }
    let conn: TelegramConnection | undefined;
    try {
      conn = await this.flow.open(await cipher.decrypt(row.session_ciphertext));
      const held = holder.hold('login', loginId, claim.token, conn, row);
      logger.info({ loginId, state: row.state }, 'resumed a pending login');
      if (row.method === 'qr' && row.state === 'waiting') await this.qr.resume(held);
    } catch (error) {
      logger.warn({ err: error, loginId }, 'could not resume a login');
      const held = holder.get(claim.resource);
      if (held !== undefined) await holder.letGo(held);
      else {
        await conn?.destroy().catch(() => undefined);
        await store.leases.release([claim]);
      }
    }
  }
}
