import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '@cf/kit';
import { withSignal } from './kube-deadline.ts';

export interface LeaderElectionOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  /** This replica's identity (its pod name). */
  identity: string;
  /** How long a lease is valid without renewal. Default: 15 s. */
  leaseDurationMs?: number;
  /**
   * A leader that could not renew for this long steps down. Default: 10 s. It is also the deadline of each
   * attempt's API calls (the time left until it when leading), so a hanging request cannot keep a leader past it.
   */
  renewDeadlineMs?: number;
  /** Pause between attempts. Default: 2 s. */
  retryPeriodMs?: number;
  logger: Logger;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), the algorithm of client-go's leaderelection: expiry is
 * judged by when *this* replica last saw the lease change, so clocks of different nodes never matter; writes
 * carry the resourceVersion they read, so two candidates can never both win.
 */
export class LeaderElector {
  private readonly options: Required<Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading' | 'logger'>> &
    LeaderElectionOptions;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private observed: { key: string; at: number } | undefined;
  private lastRenew = 0;
  /** Last time the API server answered a lease call at all (readiness). */
  lastContact = 0;
  private loop: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2000,
      ...options,
    };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.loop = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    let acquired = false;
    // A leader's attempt may take only the time left before it must step down; a candidate's one renew deadline.
    const budget = this.leading
      ? Math.max(1, this.lastRenew + this.options.renewDeadlineMs - Date.now())
      : this.options.renewDeadlineMs;
    try {
      acquired = await this.tryAcquireOrRenew(withSignal(AbortSignal.timeout(budget)));
    } catch (error) {
      this.options.logger.warn({ err: error, lease: this.options.name }, 'lease update failed');
    }
    if (this.stopped) return;
    const now = Date.now();
    if (acquired) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.options.logger.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
        await this.options.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew >= this.options.renewDeadlineMs) {
      this.leading = false;
      this.options.logger.warn({ lease: this.options.name }, 'lost leadership: could not renew the lease in time');
      await this.options.onStoppedLeading();
    }
    this.schedule(this.options.retryPeriodMs);
  }

  private leaseSeconds(): number {
    return Math.max(1, Math.round(this.options.leaseDurationMs / 1000));
  }

  private async tryAcquireOrRenew(deadline: ReturnType<typeof withSignal>): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.options;
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await coordination.readNamespacedLease({ name, namespace }, deadline);
      this.lastContact = Date.now();
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
      this.lastContact = Date.now();
      try {
        await coordination.createNamespacedLease(
          {
            namespace,
            body: {
              metadata: { name, namespace },
              spec: {
                holderIdentity: identity,
                leaseDurationSeconds: this.leaseSeconds(),
                acquireTime: now,
                renewTime: now,
                leaseTransitions: 0,
              },
            },
          },
          deadline,
        );
        return true;
      } catch (createError) {
        if (createError instanceof ApiException && createError.code === 409) return false;
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const key = `${holder}|${String(spec.renewTime ?? '')}|${lease.metadata?.resourceVersion ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: Date.now() };
    const durationMs = (spec.leaseDurationSeconds ?? this.leaseSeconds()) * 1000;
    const expired = this.observed.at + durationMs < Date.now();
    if (holder !== '' && holder !== identity && !expired) return false;
    const takingOver = holder !== identity;
    try {
      await coordination.replaceNamespacedLease(
        {
          name,
          namespace,
          body: {
            metadata: { ...lease.metadata, name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: this.leaseSeconds(),
              acquireTime: takingOver ? now : (spec.acquireTime ?? now),
              renewTime: now,
              leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder !== '' ? 1 : 0),
            },
          },
        },
        deadline,
      );
      return true;
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return false;
      throw error;
    }
  }

  /** Stops campaigning; a leader hands the lease back (empty holder) so another replica takes over at once. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.loop?.catch(() => undefined);
    const wasLeading = this.leading;
    this.leading = false;
    if (wasLeading) {
      await this.options.onStoppedLeading();
      if (release) await this.release();
    }
  }

  private async release(): Promise<void> {
    const { coordination, namespace, name, identity } = this.options;
    try {
      const deadline = withSignal(AbortSignal.timeout(this.options.renewDeadlineMs));
      const lease = await coordination.readNamespacedLease({ name, namespace }, deadline);
      if (lease.spec?.holderIdentity !== identity) return;
      await coordination.replaceNamespacedLease(
        {
          name,
          namespace,
          body: {
            metadata: lease.metadata ?? { name, namespace },
            spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime() },
          },
        },
        deadline,
      );
      this.options.logger.info({ lease: name }, 'released the lease');
    } catch (error) {
      this.options.logger.warn({ err: error, lease: name }, 'could not release the lease; it expires on its own');
    }
  }
}
