import { makeInformer, type CoreV1Api, type Informer, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@cf/kit';
import type { UnsealerMetrics } from './metrics.ts';

export interface PodWatchOptions {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  namespace: string;
  labelSelector: string;
  logger: Logger;
  metrics: UnsealerMetrics;
  /** Called with a pod name on every add, update, delete and resync. */
  onPod: (name: string) => void;
  /** Full re-list through the API (not the informer cache) this often. */
  resyncMs: number;
  /** Restart the informer when it has not (re)connected for this long. Default: 5 min. */
  watchdogMs?: number;
}

/**
 * Watches Vault pods with a client-node informer and keeps it alive: client-node informers stop for good on
 * any error but 410 Gone, so every error restarts them after a backoff; a watchdog restarts one that has not
 * (re)connected for too long (informers going silent is a known failure); and a periodic re-list through the
 * API enqueues every pod regardless of what the watch delivered.
 */
export class PodWatch {
  private readonly options: PodWatchOptions;
  private informer: Informer<V1Pod> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
  private consecutiveErrors = 0;
  private stopped = true;
  private readonly names = new Set<string>();

  constructor(options: PodWatchOptions) {
    this.options = options;
  }

  /** Names of the pods seen last (informer or re-list). */
  known(): string[] {
    return [...this.names];
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.startInformer();
    await this.resync();
    this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncMs);
    const watchdogMs = this.options.watchdogMs ?? 5 * 60_000;
    this.watchdogTimer = setInterval(
      () => {
        if (Date.now() - this.lastActivity > watchdogMs) {
          this.options.logger.warn({ silentMs: Date.now() - this.lastActivity }, 'pod informer silent; restarting it');
          this.options.metrics.informerRestarts.inc({ reason: 'watchdog' });
          this.restart(0);
        }
      },
      Math.min(watchdogMs, 30_000),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.resyncTimer);
    clearInterval(this.watchdogTimer);
    const informer = this.informer;
    this.informer = undefined;
    await informer?.stop().catch(() => undefined);
  }

  /** Lists the pods through the API and enqueues each one: the safety net under the watch. */
  async resync(): Promise<void> {
    try {
      const list = await this.options.core.listNamespacedPod({
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
      });
      this.names.clear();
      for (const pod of list.items) {
        const name = pod.metadata?.name;
        if (name === undefined) continue;
        this.names.add(name);
        this.options.onPod(name);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'pod re-list failed; retrying at the next resync');
    }
  }

  private startInformer(): void {
    const { kubeConfig, core, namespace, labelSelector } = this.options;
    const informer = makeInformer<V1Pod>(
      kubeConfig,
      `/api/v1/namespaces/${namespace}/pods`,
      () => core.listNamespacedPod({ namespace, labelSelector }),
      labelSelector,
    );
    const seen = (pod: V1Pod): void => {
      this.lastActivity = Date.now();
      this.consecutiveErrors = 0;
      const name = pod.metadata?.name;
      if (name === undefined) return;
      this.names.add(name);
      this.options.onPod(name);
    };
    informer.on('add', seen);
    informer.on('update', seen);
    informer.on('delete', (pod) => {
      this.lastActivity = Date.now();
      const name = pod.metadata?.name;
      if (name === undefined) return;
      this.names.delete(name);
      this.options.onPod(name);
    });
    informer.on('connect', () => {
      this.lastActivity = Date.now();
    });
    informer.on('error', (error: unknown) => {
      if (informer !== this.informer || this.stopped) return;
      this.consecutiveErrors += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.consecutiveErrors - 1, 6)) * (0.5 + Math.random());
      this.options.logger.warn({ err: error, retryInMs: Math.round(delay) }, 'pod watch failed; restarting it');
      this.options.metrics.informerRestarts.inc({ reason: 'error' });
      this.restart(delay);
    });
    this.informer = informer;
    informer.start().catch((error: unknown) => {
      this.options.logger.warn({ err: error }, 'pod informer did not start; retrying');
      this.restart(1000);
    });
  }

  private restart(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.restartTimer);
    const old = this.informer;
    this.informer = undefined;
    void old?.stop().catch(() => undefined);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.lastActivity = Date.now();
      this.startInformer();
      // Events may have been missed while the watch was down.
      void this.resync();
    }, delayMs);
  }
}
