import { isDeepStrictEqual } from 'node:util';

/** `components` of an OpenAPI document: section (`schemas`, `responses`, …) → name → definition. */
export type Components = Record<string, Record<string, unknown>>;

/** Sections whose entries are named by `$ref`; security schemes are named by requirements, and merged as they are. */
const BY_REFERENCE = new Set(['schemas', 'responses', 'parameters', 'headers', 'requestBodies', 'examples', 'links']);

/** `value` with every `$ref` that `renames` names (`#/components/…` → new) rewritten. */
function rewritten<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (renames.size === 0) return value;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, child]) => [
        key,
        key === '$ref' && typeof child === 'string' ? (renames.get(child) ?? child) : walk(child),
      ]),
    );
  };
  return walk(value) as T;
}

/**
 * Merges one document's components into `merged` and returns the document with its references adjusted.
 * A name the merged components already hold with the same definition is shared (every service's `Problem`, its
 * problem answers); a name they hold with a different definition is published as `<prefix><Name>`, and this
 * document's references follow it, so no service's shape silently replaces another's. A definition that refers
 * to a renamed one differs too, and is renamed with it.
 */
export function mergeComponents<Document extends { components?: Components }>(
  merged: Components,
  document: Document,
  prefix: string,
): Document {
  const renames = new Map<string, string>();
  let adjusted = document;
  for (let before = -1; before !== renames.size;) {
    before = renames.size;
    adjusted = rewritten(document, renames);
    for (const [section, entries] of Object.entries(adjusted.components ?? {})) {
      if (!BY_REFERENCE.has(section)) continue;
      for (const [name, definition] of Object.entries(entries)) {
        const taken = merged[section]?.[name];
        const reference = `#/components/${section}/${name}`;
        if (taken !== undefined && !isDeepStrictEqual(taken, definition) && !renames.has(reference)) {
          renames.set(reference, `#/components/${section}/${prefix}${name}`);
        }
      }
    }
  }
  for (const [section, entries] of Object.entries(adjusted.components ?? {})) {
    const target = (merged[section] ??= {});
    for (const [name, definition] of Object.entries(entries)) {
      const renamed = renames.get(`#/components/${section}/${name}`)?.split('/').at(-1) ?? name;
      const taken = target[renamed];
      if (taken !== undefined && BY_REFERENCE.has(section) && !isDeepStrictEqual(taken, definition)) {
        throw new Error(`components.${section}.${renamed} is defined differently by two documents`);
      }
      target[renamed] = definition;
    }
  }
  return adjusted;
}

/** `user-service` → `UserService`: the prefix of a service's renamed components. */
export function componentPrefix(service: string): string {
  return service
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}
