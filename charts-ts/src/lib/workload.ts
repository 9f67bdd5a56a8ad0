import { k8s } from 'cdk8s-plus-27';
import type { Resources } from '../profile.ts';
import { selector } from '../platform.ts';

/** The numeric non-root user of our own images (the `node` user of node:24-bookworm-slim). */
export const APP_UID = 1000;

/**
 * Node-local disk a container may use: its logs, writable layer and emptyDir volumes (every `tmp` here is at
 * most 64Mi). Requested so the scheduler counts it, limited so one pod cannot fill a node's disk and get its
 * neighbours evicted (kubernetes.io/docs/concepts/configuration/manage-resources-containers/#local-ephemeral-storage).
 */
const EPHEMERAL_STORAGE = { request: '128Mi', limit: '512Mi' };

export function resources(r: Resources): k8s.ResourceRequirements {
  const q = (v: string): k8s.Quantity => k8s.Quantity.fromString(v);
  return {
    requests: {
      cpu: q(r.requests.cpu),
      memory: q(r.requests.memory),
      'ephemeral-storage': q(EPHEMERAL_STORAGE.request),
    },
    limits: { cpu: q(r.limits.cpu), memory: q(r.limits.memory), 'ephemeral-storage': q(EPHEMERAL_STORAGE.limit) },
  };
}

export function httpGet(path: string, port: number | string): k8s.HttpGetAction {
  return {
    path,
    port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
  };
}

export interface ProbeSet {
  liveness: k8s.Probe;
  readiness: k8s.Probe;
  startup: k8s.Probe;
}

/** /healthz answers while the process works; /readyz while it can serve (its dependencies answer). */
export function standardProbes(port: number | string): ProbeSet {
  return {
    startup: { httpGet: httpGet('/healthz', port), periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2 },
    liveness: { httpGet: httpGet('/healthz', port), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    readiness: { httpGet: httpGet('/readyz', port), periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 },
  };
}

export function containerSecurity(uid: number, readOnlyRootFilesystem: boolean): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function podSecurity(uid: number, fsGroup: number = uid): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: fsGroup,
    fsGroup,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function fieldEnv(name: string, fieldPath: string): k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

export function env(values: Record<string, string | number>): k8s.EnvVar[] {
  return Object.entries(values).map(([name, value]) => ({ name, value: String(value) }));
}

/** A projected ServiceAccount token with audience `vault`, where the kit reads it (VAULT_JWT_FILE). */
export function vaultTokenVolume(audience: string): k8s.Volume {
  return {
    name: 'vault-token',
    projected: {
      sources: [{ serviceAccountToken: { audience, expirationSeconds: 600, path: 'token' } }],
    },
  };
}

export const VAULT_TOKEN_DIR = '/var/run/secrets/vault';

/**
 * A workload's pod template and the selector picking its pods: `podLabels` must include the selector labels of
 * `name` (platform.ts `labels` does), or the API server refuses the workload.
 */
export function selectedPods(
  name: string,
  podLabels: Record<string, string>,
  spec: k8s.PodSpec,
): { selector: k8s.LabelSelector; template: k8s.PodTemplateSpec } {
  return { selector: { matchLabels: selector(name) }, template: { metadata: { labels: podLabels }, spec } };
}
