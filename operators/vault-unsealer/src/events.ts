import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@cf/kit';

export type EventType = 'Normal' | 'Warning';

/**
 * Records Kubernetes Events on Vault pods. A repeat of the same reason and message on the same pod within
 * ten minutes bumps the count of the existing Event (patch) instead of creating another object. Messages are
 * written by this operator only: they never embed a Vault answer, a key or a token.
 */
export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly logger: Logger;
  private readonly component: string;
  private readonly instance: string;
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();

  constructor(core: CoreV1Api, logger: Logger, instance: string) {
    this.core = core;
    this.logger = logger;
    this.component = 'vault-unsealer';
    this.instance = instance;
  }

  async record(pod: V1Pod, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const podName = pod.metadata?.name ?? 'unknown';
    const key = `${namespace}/${podName}/${pod.metadata?.uid ?? ''}/${reason}/${message}`;
    const now = new Date();
    const previous = this.recent.get(key);
    try {
      if (previous !== undefined && now.getTime() - previous.at < 10 * 60_000) {
        try {
          await this.core.patchNamespacedEvent(
            { name: previous.name, namespace, body: { count: previous.count + 1, lastTimestamp: now } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
          previous.count += 1;
          previous.at = now.getTime();
          return;
        } catch {
          // The Event expired (the API server keeps them about an hour): record a new one.
          this.recent.delete(key);
        }
      }
      const created = await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${podName}.` },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            name: podName,
            namespace,
            ...(pod.metadata?.uid !== undefined ? { uid: pod.metadata.uid } : {}),
          },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.instance,
        },
      });
      this.recent.set(key, { name: created.metadata?.name ?? '', namespace, count: 1, at: now.getTime() });
      if (this.recent.size > 1000) this.recent.delete(this.recent.keys().next().value!);
    } catch (error) {
      this.logger.warn({ err: error, reason, pod: podName }, 'could not record event');
    } finally {
      const log = type === 'Warning' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
      log({ pod: podName, reason, eventType: type }, message);
    }
  }
}
