/** Wake-ups further ahead than this are left to the queue's poll (a pod may be gone by then anyway). */
export const WAKE_HORIZON_MS = 10 * 60_000;
/** Pending wake-ups one pod remembers; beyond it the latest are dropped and the poll covers them. */
export const MAX_WAKES = 10_000;
/**
 * How long after a job's time the fetch runs: pg-boss compares `start_after` with PostgreSQL's clock, so a
 * wake-up a hair early would find nothing and the job would wait for the next poll.
 */
export const WAKE_MARGIN_MS = 15;

/**
 * One timer for the earliest of the times jobs this pod queued become due, so a scheduled or paced send
 * is fetched at its time instead of at the next poll. Only a latency hint: the queue's poll still finds
 * every job (other pods' jobs, jobs of a restarted pod), and a lost wake-up only costs one poll interval.
 * Bounded: at most `MAX_WAKES` times within `WAKE_HORIZON_MS`; `stop` clears everything.
 */
export class WakeTimer {
  private readonly wake: () => void;
  /** Due times in ms, ascending, unique. */
  private times: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(wake: () => void) {
    this.wake = wake;
  }

  /** Wakes the workers now when `at` has come, or arms a wake-up for it. */
  at(at: Date): void {
    if (this.stopped) return;
    const when = at.getTime() + WAKE_MARGIN_MS;
    const now = Date.now();
    if (when <= now) return this.wake();
    if (when > now + WAKE_HORIZON_MS) return;
    const index = this.insertionPoint(when);
    if (this.times[index] === when) return;
    this.times.splice(index, 0, when);
    if (this.times.length > MAX_WAKES) this.times.pop();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.times = [];
  }

  private insertionPoint(when: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.times[middle]! < when) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private arm(): void {
    const next = this.times[0];
    if (next === undefined || next >= this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let due = 0;
    while (due < this.times.length && this.times[due]! <= now) due += 1;
    this.times.splice(0, due);
    if (due > 0) this.wake();
    this.arm();
  }
}
