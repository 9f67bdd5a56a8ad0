import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { VaultError } from '@cf/kit';

/** Annotation that marks a deliberately sealed Vault pod: the unsealer leaves it sealed. */
export const SEALED_ANNOTATION = 'vault.content-factory.dev/sealed';

/** Renders the address of a pod's Vault API from the template; undefined while a placeholder has no value. */
export function podAddress(template: string, pod: V1Pod, service: string, namespace: string): string | undefined {
  const values: Record<string, string | undefined> = {
    pod: pod.metadata?.name,
    podIP: pod.status?.podIP,
    service,
    namespace: pod.metadata?.namespace ?? namespace,
  };
  let missing = false;
  const address = template.replace(/\{(pod|podIP|service|namespace)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing ? undefined : address.replace(/\/+$/, '');
}

/** When the pod's Vault container (re)started: the newest running container start, else the pod start. */
export function runningSince(pod: V1Pod): number | undefined {
  const starts = (pod.status?.containerStatuses ?? [])
    .map((status) => status.state?.running?.startedAt)
    .filter((value) => value !== undefined && value !== null)
    .map((value) => new Date(value as unknown as string).getTime());
  if (starts.length > 0) return Math.max(...starts);
  const start = pod.status?.startTime;
  return start === undefined ? undefined : new Date(start as unknown as string).getTime();
}

/** An expected wait (a follower before its leader is up): retried with backoff, logged at debug level. */
export class WaitingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitingError';
  }
}

/** A short, secret-free account of a failure for events and status (API exceptions carry whole bodies). */
export function describe(error: unknown): string {
  if (error instanceof ApiException) return `Kubernetes API answered HTTP ${error.code}`;
  if (error instanceof VaultError)
    return `${error.message.replace(/:\s*1 error occurred:?\s*$/, '')} (HTTP ${error.status})`;
  return error instanceof Error ? error.message : String(error);
}
