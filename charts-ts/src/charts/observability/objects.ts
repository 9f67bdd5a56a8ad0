import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

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
