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
 * The unseal keys in one Kubernetes Secret that is created once and never updated or deleted, and carries no
 * ownerReference, so no garbage collector can take it away with some other object.
 */
export class KeyStore {
  private readonly core: CoreV1Api;
  private readonly namespace: string;
  readonly name: string;

  constructor(core: CoreV1Api, namespace: string, name: string) {
    this.core = core;
    this.namespace = namespace;
    this.name = name;
  }

  async read(): Promise<UnsealKeys | undefined> {
    let secret: V1Secret;
    try {
      secret = await this.core.readNamespacedSecret({ name: this.name, namespace: this.namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
    return decode(secret);
  }

  /** Create-only: a Secret that already exists is never touched (409 → KeySecretConflictError). */
  async create(keys: Omit<UnsealKeys, 'version'>): Promise<UnsealKeys> {
    const data: Record<string, string> = {
      threshold: b64(String(keys.threshold)),
      shares: b64(String(keys.keys.length)),
    };
    keys.keys.forEach((key, index) => {
      data[`key-${index + 1}`] = b64(key);
    });
    if (keys.rootToken !== undefined) data['initial-root-token'] = b64(keys.rootToken);
    try {
      const created = await this.core.createNamespacedSecret({
        namespace: this.namespace,
        body: {
          metadata: {
            name: this.name,
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
      return { ...keys, version: created.metadata?.resourceVersion ?? '' };
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) throw new KeySecretConflictError(this.name);
      throw error;
    }
  }
}

function b64(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64');
}

function decode(secret: V1Secret): UnsealKeys {
  const data = secret.data ?? {};
  const text = (field: string): string | undefined => {
    const value = data[field];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const keys: string[] = [];
  for (let index = 1; text(`key-${index}`) !== undefined; index += 1) keys.push(text(`key-${index}`)!);
  const threshold = Number(text('threshold') ?? keys.length);
  return {
    keys,
    threshold: Number.isInteger(threshold) && threshold > 0 ? threshold : keys.length,
    rootToken: text('initial-root-token'),
    version: secret.metadata?.resourceVersion ?? '',
  };
}
