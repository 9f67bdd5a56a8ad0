import type { V1Pod } from '@kubernetes/client-node';
import type { EventRecorder, EventType } from './events.ts';
import type { UnsealerMetrics } from './metrics.ts';

export type PodState =
  | 'pending'
  | 'unreachable'
  | 'waiting-for-leader'
  | 'keys-without-data'
  | 'no-keys'
  | 'keys-insufficient'
  | 'deliberately-sealed'
  | 'sealed'
  | 'unsealed';

export interface PodReport {
  state: PodState;
  message: string;
  /** ISO 8601 time the state or message last changed. */
  since: string;
}

/** A Kubernetes Event that belongs to entering a state. */
export interface TransitionEvent {
  type: EventType;
  reason: string;
  message: string;
}

/**
 * What `/status` shows per Vault pod, and the one place a pod changes state: `transition` records the state and,
 * when the pod *enters* that state (it was in another one), the Event that goes with it — so a pod that stays in
 * a state across reconciles is reported once, not once per reconcile.
 */
export class PodStates {
  private readonly reports = new Map<string, PodReport>();
  private readonly events: EventRecorder;
  private readonly metrics: UnsealerMetrics;

  constructor(events: EventRecorder, metrics: UnsealerMetrics) {
    this.events = events;
    this.metrics = metrics;
  }

  report(): Record<string, PodReport> {
    return Object.fromEntries(this.reports);
  }

  stateOf(pod: string): PodState | undefined {
    return this.reports.get(pod)?.state;
  }

  async transition(pod: V1Pod, state: PodState, message: string, event?: TransitionEvent): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const previous = this.reports.get(name);
    if (previous?.state !== state || previous.message !== message) {
      this.reports.set(name, { state, message, since: new Date().toISOString() });
    }
    this.updateSealedGauge();
    if (event !== undefined && previous?.state !== state) {
      await this.events.record(pod, event.type, event.reason, event.message);
    }
  }

  /** The pod is gone: it no longer counts. */
  forget(name: string): void {
    this.reports.delete(name);
    this.updateSealedGauge();
  }

  private updateSealedGauge(): void {
    let sealed = 0;
    for (const report of this.reports.values()) {
      if (report.state !== 'unsealed' && report.state !== 'pending') sealed += 1;
    }
    this.metrics.sealedPods.set(sealed);
    this.metrics.keysInsufficientPods.set(
      [...this.reports.values()].filter((r) => r.state === 'keys-insufficient').length,
    );
  }
}
