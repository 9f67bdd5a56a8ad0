/**
 * Names of what a pod can own. A lease row's `resource` is `<kind>:<id>`: `account:<uuid>` or `login:<uuid>`.
 * Every place that builds or reads such a name goes through these two functions.
 */
export type ResourceKind = 'account' | 'login';

export interface ResourceName {
  kind: ResourceKind;
  id: string;
}

export function resourceName(kind: ResourceKind, id: string): string {
  return `${kind}:${id}`;
}

/** The kind and id of a lease's resource; undefined for names this service never writes. */
export function parseResource(resource: string): ResourceName | undefined {
  const colon = resource.indexOf(':');
  const kind = resource.slice(0, colon);
  if (colon < 0 || (kind !== 'account' && kind !== 'login')) return undefined;
  return { kind, id: resource.slice(colon + 1) };
}
