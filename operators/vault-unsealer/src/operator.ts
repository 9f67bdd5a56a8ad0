import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@cf/kit';
import type { Registry } from 'prom-client';
import { EventRecorder } from './events.ts';
import { KeyStore } from './key-store.ts';
import { LeaderElector } from './leader.ts';
import { createUnsealerMetrics, type UnsealerMetrics } from './metrics.ts';
import { Configurator, CONFIGURATION_KEY } from './configurator.ts';
import { KeyCustody } from './key-custody.ts';
import { makeApiClientWithDeadline } from './kube-deadline.ts';
import { PodController, type Result } from './pod-controller.ts';
import { PodStates, type PodReport } from './pod-states.ts';
import { PodWatch } from './pod-watch.ts';
import { podAddress, WaitingError } from './vault-pod.ts';
import { WorkQueue } from './work-queue.ts';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  registry: Registry;
  /** This replica's name (POD_NAME): lease holder identity and event reporting instance. */
  identity: string;
  /** Where the operator runs (its Lease and default Secret namespace). */
  namespace: string;
  /** Where Vault runs. Default: `namespace`. */
  vaultNamespace?: string;
  podSelector: string;
  addressTemplate: string;
  headlessService: string;
  firstPod: string;
  keySecret: string;
  /** Number of Secrets the shares are split over. Default: 1. */
  keySecrets?: number;
  shares: number;
  threshold: number;
  configFile?: string;
  leaseName: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  resyncMs: number;
  watchdogMs?: number;
  backoff?: { baseMs?: number; maxMs?: number };
  /** The unsealer's Kubernetes-auth role in Vault. Default: `vault-unsealer`. */
  authRole?: string;
  /** Its own ServiceAccount token with audience `vault`. */
  vaultToken?: () => Promise<string>;
  /** Test seam: runs right after a fresh initialization's keys are stored. */
  afterInitialize?: () => Promise<void>;
}

interface Controller {
  queue: WorkQueue;
  watch: PodWatch;
}

/**
 * vault-unsealer: campaigns for the Lease; while leading, watches Vault pods and reconciles each through a work
 * queue. A replica that loses the Lease stops all work before another can start.
 */
export class Operator {
  readonly metrics: UnsealerMetrics;
  private readonly options: OperatorOptions;
  private readonly core: CoreV1Api;
  private readonly elector: LeaderElector;
  private readonly states: PodStates;
  private readonly pods: PodController;
  private readonly configurator: Configurator;
  /** The reconcile running per key, across queue terms (a queue shut down on lost leadership abandons its work). */
  private readonly running = new Map<string, Promise<Result>>();
  private controller: Controller | undefined;
  private transition: Promise<void> = Promise.resolve();

  constructor(options: OperatorOptions) {
    this.options = options;
    this.metrics = createUnsealerMetrics(options.registry);
    this.core = makeApiClientWithDeadline(options.kubeConfig, CoreV1Api);
    const vaultNamespace = options.vaultNamespace ?? options.namespace;
    const events = new EventRecorder(this.core, options.logger, options.identity);
    this.states = new PodStates(events, this.metrics);
    const custody = new KeyCustody({
      store: new KeyStore(this.core, vaultNamespace, options.keySecret, options.keySecrets ?? 1),
      events,
      logger: options.logger,
    });
    const listPods = async () =>
      (await this.core.listNamespacedPod({ namespace: vaultNamespace, labelSelector: options.podSelector })).items;
    this.pods = new PodController({
      core: this.core,
      namespace: vaultNamespace,
      firstPod: options.firstPod,
      addressTemplate: options.addressTemplate,
      headlessService: options.headlessService,
      shares: options.shares,
      threshold: options.threshold,
      custody,
      states: this.states,
      events,
      metrics: this.metrics,
      logger: options.logger,
      resyncMs: options.resyncMs,
      listPods,
      onUnsealed: () => this.controller?.queue.add(CONFIGURATION_KEY),
      ...(options.afterInitialize !== undefined ? { afterInitialize: options.afterInitialize } : {}),
    });
    this.configurator = new Configurator({
      core: this.core,
      operatorNamespace: options.namespace,
      ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
      authRole: options.authRole ?? 'vault-unsealer',
      ...(options.vaultToken !== undefined ? { vaultToken: options.vaultToken } : {}),
      custody,
      events,
      metrics: this.metrics,
      logger: options.logger,
      resyncMs: options.resyncMs,
      runningPods: async () =>
        (await listPods()).flatMap((pod) => {
          const address = podAddress(options.addressTemplate, pod, options.headlessService, vaultNamespace);
          return pod.status?.phase === 'Running' && address !== undefined ? [{ pod, address }] : [];
        }),
    });
    this.elector = new LeaderElector({
      coordination: makeApiClientWithDeadline(options.kubeConfig, CoordinationV1Api),
      namespace: options.namespace,
      name: options.leaseName,
      identity: options.identity,
      ...(options.leaseDurationMs !== undefined ? { leaseDurationMs: options.leaseDurationMs } : {}),
      ...(options.renewDeadlineMs !== undefined ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
      ...(options.retryPeriodMs !== undefined ? { retryPeriodMs: options.retryPeriodMs } : {}),
      logger: options.logger,
      onStartedLeading: () => this.serialize(() => this.startController()),
      onStoppedLeading: () => this.serialize(() => this.stopController()),
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** True while the API server answered a lease call recently: what /readyz reports. */
  get connected(): boolean {
    const window = 2 * (this.options.leaseDurationMs ?? 15_000);
    return Date.now() - this.elector.lastContact < window;
  }

  status(): { leader: boolean; identity: string; pods: Record<string, PodReport> } {
    return { leader: this.isLeader, identity: this.options.identity, pods: this.states.report() };
  }

  start(): void {
    this.elector.start();
  }

  /** Graceful: finishes in-flight reconciles (bounded) and hands the Lease back. */
  async stop(): Promise<void> {
    await this.elector.stop(true);
    await this.transition;
  }

  /** Like a killed process: stops everything at once and keeps the Lease until it expires. For tests. */
  async crash(): Promise<void> {
    await this.elector.stop(false);
    await this.transition;
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(step, step);
    return this.transition;
  }

  private async startController(): Promise<void> {
    if (this.controller !== undefined) return;
    this.metrics.leader.set(1);
    const queue = new WorkQueue({
      ...this.options.backoff,
      process: (key) => this.reconcile(key),
      onError: (name, error, retryInMs) => {
        if (error instanceof WaitingError) this.options.logger.debug({ pod: name, retryInMs }, error.message);
        else this.options.logger.warn({ err: error, pod: name, retryInMs }, 'reconcile failed; retrying');
      },
    });
    const watch = new PodWatch({
      kubeConfig: this.options.kubeConfig,
      core: this.core,
      namespace: this.options.vaultNamespace ?? this.options.namespace,
      labelSelector: this.options.podSelector,
      logger: this.options.logger,
      metrics: this.metrics,
      onPod: (name) => queue.add(name),
      resyncMs: this.options.resyncMs,
      ...(this.options.watchdogMs !== undefined ? { watchdogMs: this.options.watchdogMs } : {}),
    });
    this.controller = { queue, watch };
    queue.start();
    await watch.start();
  }

  /** One reconcile per key at a time, even across a lost and regained leadership. */
  private async reconcile(key: string): Promise<Result> {
    const previous = this.running.get(key);
    if (previous !== undefined) await previous.catch(() => undefined);
    const run = key === CONFIGURATION_KEY ? this.configurator.reconcile() : this.pods.reconcile(key);
    this.running.set(key, run);
    try {
      return await run;
    } finally {
      if (this.running.get(key) === run) this.running.delete(key);
    }
  }

  private async stopController(): Promise<void> {
    const controller = this.controller;
    this.controller = undefined;
    this.metrics.leader.set(0);
    if (controller === undefined) return;
    await controller.watch.stop();
    await controller.queue.shutdown();
  }
}
