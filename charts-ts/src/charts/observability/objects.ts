import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { httpGet, podSecurity, selectedPods } from '../../lib/workload.ts';

/** Anything with Kubernetes type metadata, e.g. the `@kubernetes-models/prometheus-operator` interfaces. */
export interface TypedObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}

/** Adds a typed custom resource to a chart as-is (the types come from the upstream CRDs' OpenAPI schemas). */
export function add<T extends TypedObject>(scope: Construct, id: string, object: T): ApiObject {
  return new ApiObject(scope, id, { ...object, metadata: object.metadata ?? {} });
}

/**
 * The `storage.volumeClaimTemplate` of a Prometheus or Alertmanager. The generated model marks the embedded
 * claim's apiVersion/kind as required constants of the monitoring group, which the CRD schema does not (both are
 * optional strings there and the operator ignores them), hence the cast.
 */
export function volumeClaim<T>(name: string, storage: string): T {
  return {
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
  } as unknown as T;
}

/** An HTTP endpoint of an upstream program: its path and the container port (name) it is served on. */
export interface Endpoint {
  path: string;
  port: string;
}

/**
 * Startup, liveness and readiness probes for an upstream program from the endpoints its own documentation
 * names. Startup allows 2 minutes (60 × 2 s) before liveness takes over, as our services' standardProbes do.
 */
export function upstreamProbes(
  live: Endpoint,
  ready: Endpoint,
): Pick<k8s.Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    startupProbe: { httpGet: httpGet(live.path, live.port), periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 2 },
    livenessProbe: {
      httpGet: httpGet(live.path, live.port),
      periodSeconds: 20,
      failureThreshold: 3,
      timeoutSeconds: 2,
    },
    readinessProbe: {
      httpGet: httpGet(ready.path, ready.port),
      periodSeconds: 10,
      failureThreshold: 2,
      timeoutSeconds: 2,
    },
  };
}

/**
 * One replica of an upstream controller or exporter (prometheus-operator, kube-state-metrics): a Deployment
 * `name` in `namespace` whose pod runs as `uid` under the ServiceAccount of the same name, selected by name,
 * labelled `labels`, with the one `container` given. Object id: `id`.
 */
export function singleReplica(
  scope: Construct,
  id: string,
  props: { name: string; namespace: string; labels: Record<string, string>; uid: number; container: k8s.Container },
): void {
  new k8s.KubeDeployment(scope, id, {
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
    spec: {
      replicas: 1,
      ...selectedPods(props.name, props.labels, {
        serviceAccountName: props.name,
        securityContext: podSecurity(props.uid),
        containers: [props.container],
      }),
    },
  });
}
