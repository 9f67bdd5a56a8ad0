import { setTimeout as sleep } from 'node:timers/promises';
import { HttpProblem } from '../http/problem.ts';
import type { Logger } from '../logger.ts';

export interface SessionRevocationsOptions {
  /** user-service's feed, e.g. `http://user-service:8080/internal/session-revocations`. */
  url: string;
  logger: Logger;
  /** How long one poll is held open by the feed, in seconds. Default: 20 (the feed's maximum). */
  waitSeconds?: number;
  /**
   * With no answer from the feed for this long, revocations may have been missed: `isRevoked` then
   * answers 503 instead of guessing. Default: the hold time plus 5 s.
   */
  staleAfterMs?: number;
  /** Called for each revocation learnt while following (not the initial list), with seconds since it happened. */
  onRevocation?: (lagSeconds: number) => void;
}

interface FeedPage {
  version: number;
  more: boolean;
  revocations: { sid: string; revokedAt: number; until: number }[];
}

/**
 * Follows user-service's session-revocation feed by long poll and answers "has this session ended?"
 * from memory: no call per request, and a revocation reaches every follower as soon as it commits.
 * Entries are dropped once no access token of their session can still be valid.
 */
export class SessionRevocations {
  private readonly options: SessionRevocationsOptions;
  private readonly revoked = new Map<string, number>();
  private version = 0;
  private synced = false;
  private lastAnswer = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private firstSync!: () => void;
  private readonly firstSynced = new Promise<void>((resolve) => (this.firstSync = resolve));
  private waiters: { version: number; resolve: () => void }[] = [];

  constructor(options: SessionRevocationsOptions) {
    this.options = options;
  }

  private get waitSeconds(): number {
    return this.options.waitSeconds ?? 20;
  }

  start(): void {
    this.loop ??= this.follow();
  }

  /** Resolves when the first list has arrived; rejects after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    await Promise.race([
      this.firstSynced,
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`session revocations not loaded from ${this.options.url} within ${timeoutMs} ms`);
      }),
    ]);
  }

  /** Whether the list is loaded and fresh (for readiness). */
  healthy(): boolean {
    const staleAfter = this.options.staleAfterMs ?? this.waitSeconds * 1000 + 5000;
    return this.synced && Date.now() - this.lastAnswer <= staleAfter;
  }

  /** True when the session has ended. Throws a 503 problem when the list cannot be trusted (see `staleAfterMs`). */
  isRevoked(sid: string): boolean {
    if (!this.healthy()) throw HttpProblem.unavailable('session state is unavailable; try again shortly', 2);
    const until = this.revoked.get(sid);
    return until !== undefined && until > Date.now();
  }

  private apply(page: FeedPage, initial: boolean): void {
    const now = Date.now();
    for (const revocation of page.revocations) {
      if (!this.revoked.has(revocation.sid) && !initial) {
        this.options.onRevocation?.(Math.max(0, now / 1000 - revocation.revokedAt));
      }
      this.revoked.set(revocation.sid, revocation.until * 1000);
    }
    this.version = page.version;
    const [met, waiting] = [
      this.waiters.filter((waiter) => waiter.version <= this.version),
      this.waiters.filter((waiter) => waiter.version > this.version),
    ];
    this.waiters = waiting;
    for (const waiter of met) waiter.resolve();
  }

  /** Resolves once the feed has been followed up to `version`, or after `timeoutMs` (whichever comes first). */
  async reached(version: number, timeoutMs: number): Promise<void> {
    if (this.version >= version) return;
    let resolve!: () => void;
    const done = new Promise<void>((settle) => (resolve = settle));
    const waiter = { version, resolve };
    this.waiters.push(waiter);
    const timer = setTimeout(resolve, timeoutMs);
    await done;
    clearTimeout(timer);
    this.waiters = this.waiters.filter((other) => other !== waiter);
  }

  private prune(): void {
    const now = Date.now();
    for (const [sid, until] of this.revoked) if (until <= now) this.revoked.delete(sid);
  }

  private async follow(): Promise<void> {
    let backoffMs = 100;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const wait = this.synced ? this.waitSeconds : 0;
        const response = await fetch(`${this.options.url}?after=${this.version}&wait=${wait}`, {
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(wait * 1000 + 5000)]),
        });
        if (!response.ok) throw new Error(`revocation feed answered ${response.status}`);
        const page = (await response.json()) as FeedPage;
        this.apply(page, !this.synced);
        this.lastAnswer = Date.now();
        if (!page.more && !this.synced) {
          this.synced = true;
          this.firstSync();
        }
        this.prune();
        backoffMs = 100;
        failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        failures += 1;
        // One warning per outage, not one per retry.
        if (failures === 1) this.options.logger.warn({ err: error }, 'session revocation feed unreachable; retrying');
        await sleep(backoffMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
        backoffMs = Math.min(backoffMs * 2, 2000);
      }
    }
  }

  /** Stops following (the poll in flight is aborted). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}
