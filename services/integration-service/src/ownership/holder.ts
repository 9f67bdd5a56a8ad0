import { randomUUID } from 'node:crypto';
import { HttpProblem, type Logger } from '@cf/kit';
import type { Claim, Fence, LoginRow, Store } from '../db/store.ts';
import type { TelegramMetrics } from '../metrics.ts';
import { parseResource, resourceName, type ResourceKind } from '../resources.ts';
import type { TelegramConnection } from '../telegram/port.ts';
import { within } from '../within.ts';

export interface HolderOptions {
  /** This pod's name (StatefulSet: `integration-service-0`); peers reach it through the address template. */
  pod: string;
  leaseTtlSeconds: number;
  reconcileIntervalSeconds: number;
  /** Most leases adopted per reconcile round. */
  adoptBatch: number;
}

/** A resource this pod holds: its lease (fence), its Telegram connection and the queue its work runs in. */
export interface Held {
  resource: string;
  kind: ResourceKind;
  id: string;
  token: string;
  conn: TelegramConnection;
  timer: NodeJS.Timeout | undefined;
  queue: Promise<unknown>;
  dropped: boolean;
  /** Logins: the row as this holder last wrote it (every write to a held login goes through its holder). */
  login: LoginRow | undefined;
}

/** Where a request for a resource must run. */
export type Route = { local: true } | { local: false; pod: string } | { local: false; retryAfter: number };

/** Brings claimed resources of one kind back to life on this pod (reconnect, resume). */
export interface Adopter {
  adopt(claims: Claim[]): Promise<void>;
  /** Runs at the start of every reconcile round, before adoption (e.g. expiring old logins). */
  sweep?(): Promise<void>;
}

/**
 * The lease holder: which resources this pod owns, proven by fenced lease rows. Renews them, drops what it
 * lost, adopts what dead pods left behind (through one `Adopter` per kind), routes requests to the owner,
 * and on shutdown destroys every connection before releasing its lease.
 */
export class LeaseHolder {
  readonly incarnation = randomUUID();
  readonly options: HolderOptions;
  private readonly held = new Map<string, Held>();
  private readonly adopters = new Map<ResourceKind, Adopter>();
  private readonly store: Store;
  private readonly metrics: TelegramMetrics;
  private readonly logger: Logger;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly loops: (() => void)[] = [];
  private lastRenewed = Date.now();
  private stopped = false;
  private reconciling: Promise<void> | undefined;

  constructor(deps: { store: Store; metrics: TelegramMetrics; logger: Logger; options: HolderOptions }) {
    this.store = deps.store;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.options = deps.options;
  }

  get pod(): string {
    return this.options.pod;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  register(kind: ResourceKind, adopter: Adopter): void {
    this.adopters.set(kind, adopter);
  }

  /** Runs `task` every `seconds` from `start()` until shutdown; a round still running skips the next tick. */
  every(seconds: number, task: () => Promise<void>): void {
    let running = false;
    const tick = async (): Promise<void> => {
      if (running || this.stopped) return;
      running = true;
      try {
        await task();
      } catch (error) {
        this.logger.warn({ err: error }, 'background task failed');
      } finally {
        running = false;
      }
    };
    this.loops.push(() => this.timers.push(setInterval(() => void tick(), seconds * 1000)));
  }

  connectedAccounts(): number {
    return this.ofKind('account').length;
  }

  ofKind(kind: ResourceKind): Held[] {
    return [...this.held.values()].filter((held) => held.kind === kind);
  }

  holds(resource: string): boolean {
    return this.held.has(resource);
  }

  get(resource: string): Held | undefined {
    return this.held.get(resource);
  }

  /** The held resource, or a 503 asking to retry when ownership moved away meanwhile. */
  heldOrGone(resource: string): Held {
    const held = this.held.get(resource);
    if (held === undefined) throw HttpProblem.unavailable('ownership moved; try again', 1);
    return held;
  }

  /** Starts holding `kind:id` under `fence` with `conn` (replacing a stale local entry of it). */
  hold(kind: ResourceKind, id: string, token: string, conn: TelegramConnection, login?: LoginRow): Held {
    const resource = resourceName(kind, id);
    const held: Held = {
      resource,
      kind,
      id,
      token,
      conn,
      timer: undefined,
      queue: Promise.resolve(),
      dropped: false,
      login,
    };
    this.held.set(resource, held);
    return held;
  }

  /** Moves a held login's connection to the account it became (same connection, the account's lease). */
  async transfer(held: Held, accountFence: Fence, accountId: string): Promise<void> {
    clearTimeout(held.timer);
    this.held.delete(held.resource);
    held.dropped = true;
    const previous = this.held.get(accountFence.resource);
    if (previous !== undefined) await previous.conn.destroy().catch(() => undefined);
    this.hold('account', accountId, accountFence.token, held.conn);
  }

  fence(held: Held): Fence {
    return { resource: held.resource, token: held.token };
  }

  start(): void {
    this.timers.push(setInterval(() => void this.renew(), (this.options.leaseTtlSeconds * 1000) / 3));
    this.timers.push(setInterval(() => void this.reconcile(), this.options.reconcileIntervalSeconds * 1000));
    for (const loop of this.loops) loop();
    void this.reconcile();
  }

  private async renew(): Promise<void> {
    const all = [...this.held.values()];
    try {
      const kept = await this.store.leases.renew(
        all.map((held) => this.fence(held)),
        this.options.leaseTtlSeconds,
      );
      this.lastRenewed = Date.now();
      for (const held of all) {
        if (!kept.has(held.resource) && this.held.get(held.resource) === held) {
          this.logger.warn({ resource: held.resource }, 'lease lost; dropping the connection');
          await this.drop(held);
        }
      }
    } catch (error) {
      // Without the database we cannot prove ownership: fence ourselves before the lease can expire.
      const age = Date.now() - this.lastRenewed;
      this.logger.warn({ err: error, age }, 'lease renewal failed');
      if (age > this.options.leaseTtlSeconds * 1000 * 0.8) {
        for (const held of [...this.held.values()]) await this.drop(held);
      }
    }
  }

  /** Forgets a resource locally: destroys its connection; the lease row is left to expire or be released. */
  async drop(held: Held): Promise<void> {
    if (held.dropped) return;
    held.dropped = true;
    clearTimeout(held.timer);
    if (this.held.get(held.resource) === held) this.held.delete(held.resource);
    await held.conn.destroy().catch(() => undefined);
  }

  /** Destroys the connection, then releases the lease, so the next owner never overlaps with us. */
  async letGo(held: Held): Promise<void> {
    await this.drop(held);
    await this.store.leases.release([this.fence(held)]).catch(() => undefined);
  }

  /** Runs `work` after everything queued before it on this resource: one Telegram step at a time. */
  serialized<T>(held: Held, work: () => Promise<T>): Promise<T> {
    const run = held.queue.then(work, work);
    held.queue = run.catch(() => undefined);
    return run;
  }

  /** Decides where a request for `resource` runs; adopts it here when nobody holds it. */
  async route(resource: string): Promise<Route> {
    if (this.held.has(resource)) return { local: true };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const lease = await this.store.leases.get(resource);
      if (lease !== undefined && lease.live) {
        if (lease.owner === this.pod && lease.incarnation === this.incarnation) {
          if (this.held.has(resource)) return { local: true };
          return { local: false, retryAfter: 1 };
        }
        if (lease.owner === this.pod) {
          // Our previous incarnation (same StatefulSet name) held it: wait for its lease to run out.
          const seconds = Math.ceil((new Date(lease.expires_at).getTime() - Date.now()) / 1000);
          return { local: false, retryAfter: Math.max(1, seconds) };
        }
        return { local: false, pod: lease.owner };
      }
      await this.adopt([resource]);
      if (this.held.has(resource)) return { local: true };
    }
    return { local: false, retryAfter: 1 };
  }

  /** One round: each kind's sweep, then adoption of orphans in batches (a full batch means more wait). */
  async reconcile(): Promise<void> {
    if (this.stopped) return;
    this.reconciling ??= (async () => {
      try {
        for (const adopter of this.adopters.values()) await adopter.sweep?.();
        for (let round = 0; round < 100 && !this.stopped; round += 1) {
          const orphans = await this.store.leases.orphans(this.options.adoptBatch);
          if (orphans.length > 0) await this.adopt(orphans);
          if (orphans.length < this.options.adoptBatch) break;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'reconcile failed');
      }
    })().finally(() => {
      this.reconciling = undefined;
    });
    return this.reconciling;
  }

  /** Claims the free leases among `resources` and hands each kind's claims to its adopter. */
  async adopt(resources: string[]): Promise<void> {
    if (this.stopped) return;
    const wanted = resources.filter((resource) => !this.held.has(resource) && parseResource(resource) !== undefined);
    const claimed = await this.store.leases.claim(wanted, this.pod, this.incarnation, this.options.leaseTtlSeconds);
    const byKind = new Map<ResourceKind, Claim[]>();
    for (const claim of claimed) {
      const kind = parseResource(claim.resource)!.kind;
      if (claim.previous !== null) this.metrics.handovers.inc({ kind });
      byKind.set(kind, [...(byKind.get(kind) ?? []), claim]);
    }
    for (const [kind, claims] of byKind) {
      const adopter = this.adopters.get(kind);
      if (adopter === undefined) await this.store.leases.release(claims);
      else await adopter.adopt(claims);
    }
  }

  /**
   * SIGTERM: stop adopting, destroy every client, then release the leases of the clients that are gone, so
   * a peer takes over at once. Finishes within `budgetMs`: a client that will not close keeps its lease until
   * it expires (releasing it could let a peer connect the same session while ours still runs).
   */
  async shutdown(budgetMs = 10_000): Promise<void> {
    this.stopTimers();
    const deadline = Date.now() + budgetMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    await within(left() / 3, this.reconciling ?? Promise.resolve());
    const all = [...this.held.values()];
    const closed: Held[] = [];
    await within(
      left() / 2,
      Promise.all(
        all.map(async (held) => {
          await this.drop(held);
          closed.push(held);
        }),
      ),
    );
    const released = this.store.leases.release(closed.map((held) => this.fence(held)));
    await within(
      left(),
      released.catch((error: unknown) => this.logger.warn({ err: error }, 'release failed')),
    );
  }

  /** What a crash leaves: connections gone (TCP dropped), leases untouched until they expire. For tests. */
  async abandon(): Promise<void> {
    this.stopTimers();
    await Promise.all([...this.held.values()].map((held) => this.drop(held)));
  }

  private stopTimers(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
  }
}
