import { z } from 'zod';

/**
 * Where prod snapshots go, kept in Vault itself (issue 19: "endpoint and credentials from Vault"): a KV v2 secret
 * the snapshot role may read and nothing else of KV. Keys: `access_key_id`, `secret_access_key` (required);
 * `endpoint` (omit for AWS), `region`, `bucket`, `prefix` (optional; command-line flags fill what is missing).
 */
export const ObjectStoreSecret = z.object({
  access_key_id: z.string().min(1),
  secret_access_key: z.string().min(1),
  endpoint: z.url().optional(),
  region: z.string().min(1).optional(),
  bucket: z.string().min(1).optional(),
  prefix: z.string().optional(),
});
export type ObjectStoreSecret = z.infer<typeof ObjectStoreSecret>;

/** `<mount>/<path>` of a KV v2 secret, split at the first slash (`secret/vault-backup/object-store`). */
export function kvLocation(location: string): { mount: string; path: string } {
  const slash = location.indexOf('/');
  if (slash <= 0 || slash === location.length - 1) {
    throw new Error(`${location} is not <kv mount>/<path>, e.g. secret/vault-backup/object-store`);
  }
  return { mount: location.slice(0, slash), path: location.slice(slash + 1) };
}

/** The HCL path the snapshot policy grants `read` on for `location` (KV v2 reads go through `<mount>/data/`). */
export function kvPolicyPath(location: string): string {
  const { mount, path } = kvLocation(location);
  return `${mount}/data/${path}`;
}

/**
 * Reads the object-store secret at `location` with `token` within `timeoutMs` (default 10 s). Errors name the
 * location and the status or the missing keys, never a value.
 */
export async function readObjectStoreSecret(
  address: string,
  token: string,
  location: string,
  timeoutMs = 10_000,
): Promise<ObjectStoreSecret> {
  const { mount, path } = kvLocation(location);
  let response: Response;
  try {
    response = await fetch(`${address}/v1/${mount}/data/${path}`, {
      headers: { 'x-vault-token': token },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`reading ${location}: Vault unreachable (${(error as Error).name})`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`reading ${location}: HTTP ${response.status}`);
  }
  const body = (await response.json()) as { data?: { data?: unknown } };
  const parsed = ObjectStoreSecret.safeParse(body.data?.data ?? {});
  if (!parsed.success) {
    const keys = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`${location} does not hold a usable object store (check: ${keys})`);
  }
  return parsed.data;
}
