/**
 * A keyed work queue in the style of client-go's: a key is queued at most once, never processed by two workers
 * at the same time (an add while it is processed marks it dirty and it runs again afterwards), and failures
 * are retried with per-key exponential backoff with jitter.
 */

export interface BackoffOptions {
  /** First retry delay. Default: 200 ms. */
  baseMs?: number;
  /** Cap. Default: 60 s. */
  maxMs?: number;
}

export type Processor = (key: string) => Promise<{ requeueAfterMs?: number } | undefined>;

export interface WorkQueueOptions extends BackoffOptions {
  workers?: number;
  process: Processor;
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly options: WorkQueueOptions;
  private stopped = false;

  constructor(options: WorkQueueOptions) {
    this.options = options;
  }

  start(): void {
    for (let worker = 0; worker < (this.options.workers ?? 4); worker += 1) void this.work();
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds later unless something adds it sooner; an earlier pending delay wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) return this.add(key);
    if (this.timers.has(key) || this.queued.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Delay before the next retry of `key`: base·2^failures, capped, with ±50% jitter so pods do not march in step. */
  backoffMs(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    const base = this.options.baseMs ?? 200;
    const cap = this.options.maxMs ?? 60_000;
    const raw = Math.min(cap, base * 2 ** Math.min(failures, 30));
    return Math.round(raw * (0.5 + Math.random()));
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Stops taking work; resolves once in-flight work ended or after `graceMs` (it is then abandoned). */
  async shutdown(graceMs = 5000): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    for (const wake of this.waiters.splice(0)) wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopped) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.queued.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return undefined;
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const key = await this.next();
      if (key === undefined) return;
      this.processing.add(key);
      const run = this.runOne(key);
      this.inFlight.add(run);
      await run;
      this.inFlight.delete(run);
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.add(key);
    }
  }

  private async runOne(key: string): Promise<void> {
    try {
      const result = await this.options.process(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const delay = this.backoffMs(key);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.options.onError?.(key, error, delay);
      this.addAfter(key, delay);
    }
  }
}
