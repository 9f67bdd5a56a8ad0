import { k8s } from 'cdk8s-plus-27';

/** A literal value, or a field of the pod itself (the Downward API, e.g. `metadata.name`). */
export type EnvValue = string | number | { fieldRef: string };

/** Keys of `Values` the schema does not define: each becomes `never`, so a stray variable fails to compile. */
export type OnlyKeysOf<Schema, Values> = Values & { [K in Exclude<keyof Values, keyof Schema>]: never };

/**
 * A container's environment, typed by the program's own config schema (an object whose keys are the variable
 * names, as the kit's `loadConfig` takes). Values name only keys of that schema — checked at compile time —
 * and the schema travels with the result so tests can parse the rendered env with it.
 */
export interface ContainerEnv<Schema extends object> {
  schema: Schema;
  values: Partial<Record<keyof Schema & string, EnvValue>>;
}

export function envFor<Schema extends object, Values extends Partial<Record<keyof Schema & string, EnvValue>>>(
  schema: Schema,
  values: OnlyKeysOf<Schema, Values>,
): ContainerEnv<Schema> {
  for (const name of Object.keys(values)) {
    // The compile-time check is bypassed by casts and spreads of wider objects; this keeps synth honest too.
    if (!Object.hasOwn(schema, name)) throw new Error(`${name} is not a variable of this program's schema`);
  }
  return { schema, values };
}

/** Kubernetes env entries in key order; Downward API values become `fieldRef`s. */
export function renderEnv(env: ContainerEnv<object>): k8s.EnvVar[] {
  const values = env.values as Record<string, EnvValue | undefined>;
  return Object.entries(values).flatMap(([name, value]): k8s.EnvVar[] => {
    if (value === undefined) return [];
    if (typeof value === 'object') return [{ name, valueFrom: { fieldRef: { fieldPath: value.fieldRef } } }];
    return [{ name, value: String(value) }];
  });
}

export const podName: EnvValue = { fieldRef: 'metadata.name' };
export const podNamespace: EnvValue = { fieldRef: 'metadata.namespace' };
