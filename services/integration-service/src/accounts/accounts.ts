import type { Logger } from '@cf/kit';
import type { Claim, Store } from '../db/store.ts';
import type { Held, LeaseHolder } from '../ownership/holder.ts';
import { runLimited } from '../ownership/run-limited.ts';
import { parseResource, resourceName } from '../resources.ts';
import { KINDS } from '../telegram/errors.ts';
import { asTelegramError, TelegramError, type TelegramConnection } from '../telegram/port.ts';
import type { WorkDeps } from '../work-deps.ts';

export interface AccountDeps extends WorkDeps {
  /** How often each held account's session is checked with Telegram (getSelf). */
  healthIntervalSeconds: number;
}

/**
 * Connected Telegram accounts on this pod: reconnects the ones it adopts, asks held ones whether Telegram
 * still accepts their session, and disconnects them for good on delete.
 */
export class Accounts {
  private readonly holder: LeaseHolder;
  private readonly deps: AccountDeps;

  constructor(deps: AccountDeps) {
    this.deps = deps;
    this.holder = deps.holder;
    this.holder.register('account', { adopt: (claims) => this.adopt(claims) });
    this.holder.every(deps.healthIntervalSeconds, () => this.checkHealth());
  }

  private get store(): Store {
    return this.deps.store;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  /** Reconnects adopted accounts that are still connected; releases the rest. */
  private async adopt(claims: Claim[]): Promise<void> {
    const idOf = (claim: Claim): string => parseResource(claim.resource)!.id;
    const rows = await this.store.accounts.byIds(claims.map(idOf));
    const byId = new Map(rows.map((row) => [row.id, row]));
    const usable = claims.filter((claim) => byId.get(idOf(claim))?.state === 'connected');
    await this.store.leases.release(claims.filter((claim) => !usable.includes(claim)));
    let sessions: string[];
    try {
      sessions = await this.deps.cipher.decryptMany(usable.map((claim) => byId.get(idOf(claim))!.session_ciphertext));
    } catch (error) {
      // Without the sessions we cannot serve these accounts: let a peer (or the next round) try.
      await this.store.leases.release(usable);
      throw error;
    }
    await runLimited(usable, 64, async (claim, index) => {
      await this.reconnect(idOf(claim), claim.token, sessions[index]!);
    });
  }

  private async reconnect(accountId: string, token: string, session: string): Promise<void> {
    const fence = { resource: resourceName('account', accountId), token };
    let conn: TelegramConnection | undefined;
    try {
      conn = await this.deps.port.open(session);
      await conn.getSelf();
      if (this.holder.isStopped) throw new Error('stopping');
      this.holder.hold('account', accountId, token, conn);
    } catch (error) {
      await conn?.destroy().catch(() => undefined);
      if (error instanceof TelegramError && KINDS[error.kind].endsSession) {
        const state = error.kind === 'KeyDuplicated' ? 'failed' : 'revoked';
        await this.store.accounts.setState(accountId, fence, state, error.kind);
        this.logger.info({ accountId, kind: error.kind }, 'account could not reconnect');
      } else {
        this.logger.warn({ err: error, accountId }, 'account reconnect failed; another round will retry');
      }
      await this.store.leases.release([fence]);
    }
  }

  /** Asks every held account's connection whether Telegram still accepts its session. */
  async checkHealth(): Promise<void> {
    await runLimited(this.holder.ofKind('account'), 16, async (held) => {
      if (held.dropped) return;
      try {
        await held.conn.health();
      } catch (error) {
        const domain = asTelegramError(error);
        if (KINDS[domain.kind].endsSession !== true || held.dropped) return;
        this.logger.info({ accountId: held.id, kind: domain.kind }, 'telegram session ended');
        const state = domain.kind === 'KeyDuplicated' ? 'failed' : 'revoked';
        await this.store.accounts.setState(held.id, this.holder.fence(held), state, domain.kind).catch(() => undefined);
        await this.holder.letGo(held);
      }
    });
  }

  /** Logs the session out at Telegram, destroys the client and deletes the stored session. */
  async delete(userId: string, accountId: string): Promise<void> {
    const held = this.holder.heldOrGone(resourceName('account', accountId));
    await this.holder.serialized(held, async () => {
      try {
        await held.conn.logOut();
      } catch (error) {
        const domain = asTelegramError(error);
        // A session Telegram already ended is logged out; anything else must not leave a live session behind.
        if (domain.kind !== 'SessionRevoked' && domain.kind !== 'KeyDuplicated') {
          if (domain.kind === 'FloodWait') this.deps.metrics.floodWaits.inc({ operation: 'account.delete' });
          await this.store.log.add({
            userId,
            operation: 'account.delete',
            outcome: 'error',
            errorKind: domain.kind,
            accountId,
          });
          throw domain;
        }
      }
      await this.forget(held);
      await this.store.log.add({ userId, operation: 'account.delete', outcome: 'ok', accountId });
      this.logger.info({ accountId }, 'telegram account disconnected');
    });
  }

  private async forget(held: Held): Promise<void> {
    await this.holder.drop(held);
    await this.store.accounts.delete(held.id, this.holder.fence(held));
    await this.store.leases.release([this.holder.fence(held)]);
  }
}
