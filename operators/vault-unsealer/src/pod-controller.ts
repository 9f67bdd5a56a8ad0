import { ApiException, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@cf/kit';
import type { EventRecorder } from './events.ts';
import type { KeyCustody } from './key-custody.ts';
import type { UnsealerMetrics } from './metrics.ts';
import type { PodStates } from './pod-states.ts';
import { unsealRound } from './unseal-round.ts';
import { healthStatus, initialize, raftJoin, sealStatus, type SealStatus } from './vault-http.ts';
import { describe, podAddress, runningSince, SEALED_ANNOTATION, WaitingError } from './vault-pod.ts';

export interface PodControllerOptions {
  core: CoreV1Api;
  /** Where the Vault pods run. */
  namespace: string;
  firstPod: string;
  addressTemplate: string;
  headlessService: string;
  shares: number;
  threshold: number;
  custody: KeyCustody;
  states: PodStates;
  events: EventRecorder;
  metrics: UnsealerMetrics;
  logger: Logger;
  resyncMs: number;
  /** Pods to consider as raft peers. */
  listPods: () => Promise<V1Pod[]>;
  /** A pod answered unsealed with its keys stored: the configurator's turn. */
  onUnsealed: () => void;
  /** Test seam: runs right after a fresh initialization's keys are stored. */
  afterInitialize?: () => Promise<void>;
}

export type Result = { requeueAfterMs?: number } | undefined;

interface PodMemory {
  /**
   * Key set (Secret resourceVersion) and seal configuration (t/n) for which no working threshold could be
   * formed: no retry until either changes (a new Secret, or a restore that brought another barrier).
   */
  insufficientFor?: string;
  /** The `/status` message of that verdict, shown again after an interruption (unreachable) without a new Warning. */
  insufficientMessage?: string;
  /** When the last share of a round was accepted but Vault still said sealed (a raft follower catching up). */
  thresholdAt?: number;
}

/**
 * The per-pod unseal state machine, level-triggered: each reconcile reads what Vault says now and does the one
 * next step (initialize, join, unseal), never relying on what it did before. The work queue guarantees one
 * reconcile per pod at a time.
 */
export class PodController {
  private readonly options: PodControllerOptions;
  private readonly memory = new Map<string, PodMemory>();

  constructor(options: PodControllerOptions) {
    this.options = options;
  }

  async reconcile(name: string): Promise<Result> {
    const { metrics } = this.options;
    try {
      const result = await this.reconcilePod(name);
      metrics.reconciles.inc({ result: 'ok' });
      metrics.lastSuccessfulReconcile.set(Date.now() / 1000);
      return result;
    } catch (error) {
      metrics.reconciles.inc({ result: 'error' });
      throw error;
    }
  }

  address(pod: V1Pod): string | undefined {
    return podAddress(this.options.addressTemplate, pod, this.options.headlessService, this.options.namespace);
  }

  private memoryOf(pod: string): PodMemory {
    let memory = this.memory.get(pod);
    if (memory === undefined) {
      memory = {};
      this.memory.set(pod, memory);
    }
    return memory;
  }

  private async readPod(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.options.core.readNamespacedPod({ name, namespace: this.options.namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  private async reconcilePod(name: string): Promise<Result> {
    const { states, custody } = this.options;
    const pod = await this.readPod(name);
    if (pod === undefined || pod.metadata?.deletionTimestamp !== undefined) {
      this.memory.delete(name);
      states.forget(name);
      return;
    }
    if (pod.status?.phase !== 'Running') {
      await states.transition(pod, 'pending', `pod phase ${pod.status?.phase ?? 'unknown'}`);
      return; // the pod's next status change brings it back
    }
    const address = this.address(pod);
    if (address === undefined) {
      await states.transition(pod, 'pending', 'no address yet');
      return;
    }
    let status: SealStatus;
    try {
      status = await sealStatus(address);
    } catch (error) {
      await states.transition(pod, 'unreachable', describe(error));
      throw error;
    }
    if (pod.metadata?.annotations?.[SEALED_ANNOTATION] === 'true' && (status.sealed || !status.initialized)) {
      await states.transition(pod, 'deliberately-sealed', `annotation ${SEALED_ANNOTATION}=true`, {
        type: 'Normal',
        reason: 'DeliberatelySealed',
        message: `Vault is sealed and the pod carries ${SEALED_ANNOTATION}=true: leaving it sealed`,
      });
      return;
    }
    if (!status.initialized) {
      const next = await this.uninitialized(pod, address);
      if (next !== 'continue') return next;
      status = await sealStatus(address);
    }
    if (status.sealed) {
      const next = await this.unseal(pod, address, status);
      if (next !== 'continue') return next;
    } else if (this.memory.get(name)?.thresholdAt !== undefined) {
      await this.unsealed(pod);
    }
    await states.transition(pod, 'unsealed', 'unsealed');
    if (custody.unstored) {
      // Unsealed with keys that exist only in memory: storing them comes before anything else.
      await custody.keys();
      if (custody.unstored) throw new Error(`Secret ${custody.store.name} not stored yet`);
    }
    this.options.onUnsealed();
  }

  /** Peers that are reachable: the active (or any unsealed) one to join, and whether any is initialized. */
  private async peers(self: string): Promise<{ leader: string | undefined; anyInitialized: boolean }> {
    let leader: string | undefined;
    let standby: string | undefined;
    let anyInitialized = false;
    for (const peer of await this.options.listPods()) {
      if (peer.metadata?.name === self || peer.status?.phase !== 'Running') continue;
      const address = this.address(peer);
      if (address === undefined) continue;
      try {
        const health = await healthStatus(address);
        if (health !== 501) anyInitialized = true;
        if (health === 200) leader ??= address;
        if (health === 429 || health === 473) standby ??= address;
      } catch {
        // unreachable peers count as unknown
      }
    }
    return { leader: leader ?? standby, anyInitialized };
  }

  private async uninitialized(pod: V1Pod, address: string): Promise<Result | 'continue'> {
    const { events, custody, states, metrics } = this.options;
    const name = pod.metadata?.name ?? '';
    const { leader, anyInitialized } = await this.peers(name);
    const keys = await custody.keys();
    if (leader !== undefined) {
      if (keys === undefined) {
        await states.transition(pod, 'no-keys', `Secret ${custody.store.name} is missing: cannot unseal after joining`);
        return { requeueAfterMs: this.options.resyncMs };
      }
      try {
        await raftJoin(address, leader);
      } catch (error) {
        await events.record(pod, 'Warning', 'JoinFailed', `joining the raft cluster failed: ${describe(error)}`);
        throw error;
      }
      await events.record(pod, 'Normal', 'Joined', 'joined the raft cluster of the active Vault node');
      return 'continue';
    }
    if (name !== this.options.firstPod) {
      await states.transition(
        pod,
        'waiting-for-leader',
        `waiting for ${this.options.firstPod} to be initialized and unsealed`,
      );
      throw new WaitingError(`${name}: no unsealed peer to join yet`);
    }
    if (keys !== undefined) {
      // Keys without data: initializing would create a second key set and orphan whatever the Secret opens.
      await states.transition(
        pod,
        'keys-without-data',
        `Secret ${custody.store.name} exists but Vault is not initialized`,
        {
          type: 'Warning',
          reason: 'KeySecretWithoutData',
          message: `Vault is not initialized but Secret ${custody.store.name} exists: refusing to initialize (keys and data would drift apart). Restore Vault's storage, or delete the Secret deliberately to start over.`,
        },
      );
      return { requeueAfterMs: this.options.resyncMs };
    }
    if (anyInitialized) {
      await states.transition(pod, 'waiting-for-leader', 'another Vault pod is initialized but sealed');
      throw new WaitingError(`${name}: a peer is initialized but not unsealed yet`);
    }
    const result = await initialize(address, this.options.shares, this.options.threshold);
    metrics.initializations.inc();
    const where = await custody.adopt(pod, {
      keys: result.keys,
      threshold: this.options.threshold,
      rootToken: result.rootToken,
    });
    await events.record(
      pod,
      'Normal',
      'Initialized',
      `Vault initialized with ${this.options.shares} key shares, threshold ${this.options.threshold}; keys ${where === 'memory' ? 'held in memory until' : 'stored in'} Secret ${custody.store.name}`,
    );
    await this.options.afterInitialize?.();
    return 'continue';
  }

  private async unseal(pod: V1Pod, address: string, status: SealStatus): Promise<Result | 'continue'> {
    const { custody, states, metrics } = this.options;
    const name = pod.metadata?.name ?? '';
    const secret = custody.store.name;
    const memory = this.memoryOf(name);
    const keys = await custody.keys();
    if (keys === undefined) {
      await states.transition(pod, 'no-keys', `Secret ${secret} does not exist`, {
        type: 'Warning',
        reason: 'UnsealKeysMissing',
        message: `Vault is sealed and Secret ${secret} does not exist`,
      });
      return { requeueAfterMs: this.options.resyncMs };
    }
    const attempt = `${keys.version}/${status.t}/${status.n}`;
    if (memory.insufficientFor === attempt) {
      // The verdict stands (no new Warning); the state is restored if something (unreachable) replaced it.
      await states.transition(pod, 'keys-insufficient', memory.insufficientMessage ?? 'keys insufficient');
      return { requeueAfterMs: this.options.resyncMs }; // wait for the Secret (or the seal configuration) to change
    }
    if (memory.thresholdAt !== undefined && Date.now() - memory.thresholdAt < 15_000 && status.progress === 0) {
      // All shares went in; a raft follower says sealed until it caught up with the leader. Do not resubmit.
      await states.transition(pod, 'sealed', 'catching up after unseal');
      return { requeueAfterMs: 100 };
    }
    await states.transition(pod, 'sealed', 'unsealing');
    let round;
    try {
      round = await unsealRound(address, keys.keys, keys.threshold, status);
    } catch (error) {
      metrics.unsealAttempts.inc({ result: 'error' });
      throw error;
    }
    if (round.outcome === 'submitted') {
      memory.thresholdAt = Date.now();
      return { requeueAfterMs: 100 };
    }
    if (round.outcome === 'insufficient') {
      memory.insufficientFor = attempt;
      memory.insufficientMessage = `no threshold of working shares in Secret ${secret}: ${round.reason}; waiting for the Secret to change`;
      metrics.unsealAttempts.inc({ result: 'insufficient' });
      await states.transition(pod, 'keys-insufficient', memory.insufficientMessage, {
        type: 'Warning',
        reason: 'UnsealKeysInsufficient',
        message: `Vault stays sealed: no threshold of distinct working shares in Secret ${secret}: ${round.reason}. Not retrying until the Secret changes.`,
      });
      return { requeueAfterMs: this.options.resyncMs };
    }
    await this.unsealed(pod);
    return 'continue';
  }

  /** A round of ours opened the barrier (maybe only now, for a raft follower that was catching up). */
  private async unsealed(pod: V1Pod): Promise<void> {
    this.memoryOf(pod.metadata?.name ?? '').thresholdAt = undefined;
    this.options.metrics.unsealAttempts.inc({ result: 'success' });
    const since = runningSince(pod);
    if (since !== undefined) this.options.metrics.unsealSeconds.observe(Math.max(0, (Date.now() - since) / 1000));
    await this.options.states.transition(pod, 'unsealed', 'unsealed', {
      type: 'Normal',
      reason: 'Unsealed',
      message: 'Vault unsealed',
    });
  }
}
