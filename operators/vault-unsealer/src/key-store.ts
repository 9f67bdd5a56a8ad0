import { ApiException, type CoreV1Api, type V1Secret } from '@kubernetes/client-node';

/** What `sys/init` returned, as the unsealer keeps it. */
export interface UnsealKeys {
  keys: string[];
  threshold: number;
  /**
   * The initial root token. Kept only until the unsealer has bootstrapped its own Kubernetes-auth role, then
   * revoked in Vault; the Secret is never rewritten, so afterwards the field holds a dead token.
   */
  rootToken: string | undefined;
  /** resourceVersion of the Secret the keys came from ('' when not stored yet): identifies the key set. */
  version: string;
}

export class KeySecretConflictError extends Error {
  constructor(name: string) {
    super(
      `key Secret ${name} was created by someone else meanwhile; the keys of this initialization are kept in memory`,
    );
    this.name = 'KeySecretConflictError';
  }
}

/**
 * Names of the key Secrets: `name` itself for one Secret (the original layout), `name-1` … `name-M` when the
 * shares are split over M Secrets.
 */
export function keySecretNames(name: string, secrets = 1): string[] {
  return secrets <= 1 ? [name] : Array.from({ length: secrets }, (_, index) => `${name}-${index + 1}`);
}

/**
 * Whether splitting `shares` over `secrets` Secrets round-robin keeps every Secret below `threshold`: the largest
 * holds ceil(shares / secrets). One Secret (the default) holds them all; that is the accepted dev layout.
 */
export function splitKeepsBelowThreshold(shares: number, threshold: number, secrets: number): boolean {
  return secrets <= 1 || Math.ceil(shares / secrets) < threshold;
}

/**
 * The unseal keys in Kubernetes Secrets that are created once and never updated or deleted, and carry no
 * ownerReference, so no garbage collector can take them away with some other object. With `secrets` > 1, share
 * i goes to Secret i mod M, so no single Secret (a leaked backup, a RoleBinding naming one) holds a threshold.
 */
export class KeyStore {
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  readonly name: string;
  readonly names: string[];

  constructor(core: CoreV1Api, namespace: string, name: string, secrets = 1) {
    this.core = core;
    this.namespace = namespace;
    this.name = name;
    this.names = keySecretNames(name, secrets);
  }

  /** The keys of every key Secret that exists, merged; undefined when none exists. */
  async read(): Promise<UnsealKeys | undefined> {
    const found: V1Secret[] = [];
    for (const name of this.names) {
      try {
        found.push(await this.core.readNamespacedSecret({ name, namespace: this.namespace }));
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) continue;
        throw error;
      }
    }
    return found.length === 0 ? undefined : merge(found.map(decode));
  }

  /** Create-only: a Secret that already exists is never touched (409 with other content → KeySecretConflictError). */
  async create(keys: Omit<UnsealKeys, 'version'>): Promise<UnsealKeys> {
    const versions: string[] = [];
    for (const [part, name] of this.names.entries()) {
      const data: Record<string, string> = {
        threshold: b64(String(keys.threshold)),
        shares: b64(String(keys.keys.length)),
        secrets: b64(String(this.names.length)),
      };
      keys.keys.forEach((key, index) => {
        if (index % this.names.length === part) data[`key-${index + 1}`] = b64(key);
      });
      if (keys.rootToken !== undefined && part === 0) data['initial-root-token'] = b64(keys.rootToken);
      versions.push(await this.createOne(name, data));
    }
    return { ...keys, version: versions.join('/') };
  }

  private async createOne(name: string, data: Record<string, string>): Promise<string> {
    try {
      const created = await this.core.createNamespacedSecret({
        namespace: this.namespace,
        body: {
          metadata: {
            name,
            labels: { 'app.kubernetes.io/managed-by': 'vault-unsealer' },
            annotations: {
              'vault.content-factory.dev/note':
                'Created once by vault-unsealer at Vault initialization; never updated or deleted by it. Losing it loses Vault.',
            },
          },
          type: 'Opaque',
          immutable: true,
          data,
        },
      });
      return created.metadata?.resourceVersion ?? '';
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 409)) throw error;
      // A retry after a partial creation finds its own earlier Secret: same content is ours.
      const existing = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      const same = Object.entries(data).every(([field, value]) => existing.data?.[field] === value);
      if (same && Object.keys(existing.data ?? {}).length === Object.keys(data).length) {
        return existing.metadata?.resourceVersion ?? '';
      }
      throw new KeySecretConflictError(name);
    }
  }
}

function b64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

interface SecretPart {
  /** Share number (1-based, `key-<n>`) → share. */
  keys: Map<number, string>;
  threshold: number | undefined;
  rootToken: string | undefined;
  version: string;
}

function decode(secret: V1Secret): SecretPart {
  const data = secret.data ?? {};
  const text = (field: string): string | undefined => {
    const value = data[field];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const keys = new Map<number, string>();
  for (const field of Object.keys(data)) {
    const match = /^key-(\d+)$/.exec(field);
    if (match !== null) keys.set(Number(match[1]), text(field)!);
  }
  const threshold = Number(text('threshold'));
  return {
    keys,
    threshold: Number.isInteger(threshold) && threshold > 0 ? threshold : undefined,
    rootToken: text('initial-root-token'),
    version: secret.metadata?.resourceVersion ?? '',
  };
}

/** One key set from the parts: shares in share-number order, the first stated threshold. */
function merge(parts: SecretPart[]): UnsealKeys {
  const all = new Map<number, string>();
  for (const part of parts) for (const [index, key] of part.keys) all.set(index, key);
  const keys = [...all].sort(([a], [b]) => a - b).map(([, key]) => key);
  return {
    keys,
    threshold: parts.find((part) => part.threshold !== undefined)?.threshold ?? keys.length,
    rootToken: parts.find((part) => part.rootToken !== undefined)?.rootToken,
    version: parts.map((part) => part.version).join('/'),
  };
}
