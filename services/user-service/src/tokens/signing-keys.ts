import {
  createHmac,
  createPrivateKey,
  hkdfSync,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Logger } from '@cf/kit';
import type { KeyStore, StoredKey } from './key-store.ts';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  createdAt: string;
}

function toSigningKey(stored: StoredKey): SigningKey {
  const privateKey = createPrivateKey(stored.privateKeyPem);
  return { kid: stored.kid, privateKey, publicKey: createPublicKey(privateKey), createdAt: stored.createdAt };
}

function newStoredKey(): StoredKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid: randomUUID(),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    createdAt: new Date().toISOString(),
  };
}

/**
 * The ES256 signing keys: the current one signs, the current and the previous one verify, so tokens
 * issued just before a rotation stay valid until they expire. Keys live in a KeyStore (Vault KV in a
 * cluster); the first instance to start creates them, everyone else reads them, and every instance
 * re-reads them periodically to pick up a rotation.
 */
export class SigningKeys {
  private keys: SigningKey[] = [];
  private version = 0;
  private readonly store: KeyStore;
  private readonly logger: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(store: KeyStore, logger?: Logger) {
    this.store = store;
    this.logger = logger;
  }

  /** Loads the keys, creating them when the store has none yet. */
  static async load(store: KeyStore, logger?: Logger): Promise<SigningKeys> {
    const keys = new SigningKeys(store, logger);
    await keys.reload();
    if (keys.keys.length === 0) {
      // Check-and-set on version 0: when replicas race, exactly one write wins and the rest read it.
      const created = await store.write([newStoredKey()], 0);
      if (created) logger?.info('created the first signing key');
      await keys.reload();
    }
    if (keys.keys.length === 0) throw new Error('signing keys could not be created');
    return keys;
  }

  async reload(): Promise<void> {
    const stored = await this.store.read();
    if (stored === undefined) return;
    this.keys = stored.keys.slice(0, 2).map(toSigningKey);
    this.version = stored.version;
  }

  /** Re-reads the store every `seconds`; failures keep the keys already loaded. */
  startReloading(seconds: number): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.logger?.warn({ err: error }, 'reloading signing keys failed'));
    }, seconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Makes a new current key; the old current becomes the previous one and the old previous is dropped.
   * Tokens signed by the dropped key stop verifying, so rotate at most once per access-token lifetime.
   */
  async rotate(): Promise<SigningKey> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await this.reload();
      const stored = await this.store.read();
      const current = stored?.keys[0];
      const next = [newStoredKey(), ...(current !== undefined ? [current] : [])];
      if (await this.store.write(next, this.version)) {
        await this.reload();
        this.logger?.info({ kid: this.current().kid }, 'rotated the signing key');
        return this.current();
      }
    }
    throw new Error('signing key rotation kept conflicting with another writer');
  }

  current(): SigningKey {
    const key = this.keys[0];
    if (key === undefined) throw new Error('no signing key loaded');
    return key;
  }

  verificationKey(kid: string): KeyObject | undefined {
    return this.keys.find((key) => key.kid === kid)?.publicKey;
  }

  /** The kit's KeyResolver: verification keys by `kid`, from what is loaded (reloads run on their own). */
  async key(kid: string): Promise<KeyObject | undefined> {
    return this.verificationKey(kid);
  }

  /**
   * HMAC keys derived (HKDF-SHA-256) from the loaded signing keys, current first: a refresh token's
   * successor is computed from its parent under them, so the same parent always yields the same successor
   * and no plaintext successor is ever stored. They live where the signing keys live (Vault KV).
   */
  successorKeys(): Buffer[] {
    return this.keys.map((key) => derive(key, 'content-factory refresh-token successor'));
  }

  /**
   * A 32-byte HMAC key for `purpose`, derived (HKDF-SHA-256) from the signing key `kid`, or from the current one
   * when `kid` is omitted; undefined when that key is no longer loaded (rotated out twice). Every replica
   * derives the same key, so what one signs another verifies; nothing derived is ever stored.
   */
  derivedKey(purpose: string, kid?: string): { kid: string; key: Buffer } | undefined {
    const key = kid === undefined ? this.keys[0] : this.keys.find((candidate) => candidate.kid === kid);
    return key === undefined ? undefined : { kid: key.kid, key: derive(key, `content-factory ${purpose}`) };
  }

  /** The HMAC keys for `purpose` under every loaded signing key, current first (for verifying). */
  derivedKeys(purpose: string): Buffer[] {
    return this.keys.map((key) => derive(key, `content-factory ${purpose}`));
  }

  /** The successor of refresh token `parent` under each successor key, current first. */
  successorsOf(parent: string): string[] {
    return this.successorKeys().map((key) => createHmac('sha256', key).update(parent).digest('base64url'));
  }

  /** Public keys only: the current and the previous. */
  jwks(): { keys: JsonWebKey[] } {
    return {
      keys: this.keys.map((key) => ({
        ...key.publicKey.export({ format: 'jwk' }),
        kid: key.kid,
        alg: 'ES256',
        use: 'sig',
      })),
    };
  }
}

function derive(key: SigningKey, info: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', key.privateKey.export({ format: 'der', type: 'pkcs8' }), Buffer.alloc(0), info, 32),
  );
}
