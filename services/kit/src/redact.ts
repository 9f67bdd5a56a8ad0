/**
 * Fragments that make a field name secret wherever they appear in it (case-insensitive), at any depth of a logged
 * object. The logging pipeline (charts-ts/src/charts/logging/ingest-pipeline.ts) drops fields by the same list.
 */
export const SECRET_FIELD_FRAGMENTS: readonly string[] = [
  'pass',
  'token',
  'authorization',
  'authorisation',
  'cookie',
  'key',
  'secret',
  'session',
  'credential',
  'jwt',
  'unseal',
];

const SECRET_FIELD = new RegExp(SECRET_FIELD_FRAGMENTS.join('|'), 'i');

/** Field names that look secret by the pattern above but are identifiers or metadata, never secrets. */
export const PUBLIC_SECRET_LIKE_FIELDS: ReadonlySet<string> = new Set([
  'keyId',
  'kid',
  'sessionId',
  'sessionCount',
  'tokenType',
  'token_type',
]);

export const REDACTED = '[REDACTED]';

/** True when a field of that name must never be logged. */
export function isSecretField(name: string): boolean {
  return !PUBLIC_SECRET_LIKE_FIELDS.has(name) && SECRET_FIELD.test(name);
}

/**
 * Returns a copy of `value` with every secret-looking field replaced by a marker.
 * Errors keep their message and stack; cycles are cut rather than followed. `ancestors` holds only the objects on
 * the path from the root, so an object referenced twice side by side is logged twice, not as `[Circular]`.
 */
export function redact(value: unknown, ancestors: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  if (value instanceof Date) return value;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redact(item, ancestors));
    const out: Record<string, unknown> = {};
    if (value instanceof Error) {
      out['name'] = value.name;
      out['message'] = value.message;
      if (value.stack !== undefined) out['stack'] = value.stack;
    }
    for (const [key, field] of Object.entries(value)) {
      out[key] = isSecretField(key) ? REDACTED : redact(field, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
