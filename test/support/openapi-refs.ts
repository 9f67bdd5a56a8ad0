/**
 * A document's operations refer to shared answers and schemas (`$ref: '#/components/…'`); tests that read
 * what an operation answers read through those, as clients do. A reference may carry its own `description`
 * (OpenAPI 3.1), which replaces the shared one.
 */
export function dereferenced<T>(document: object, node: T): T {
  const reference = (node as { $ref?: unknown } | undefined)?.$ref;
  if (typeof reference !== 'string') return node;
  if (!reference.startsWith('#/')) throw new Error(`not a local reference: ${reference}`);
  const target = reference
    .slice(2)
    .split('/')
    .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], document);
  if (target === undefined) throw new Error(`${reference} names nothing in the document`);
  const { $ref: _ref, ...own } = node as Record<string, unknown>;
  return { ...dereferenced(document, target as T), ...own };
}
