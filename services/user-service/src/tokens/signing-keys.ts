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
  /** Epoch ms from which it signs (published in the JWKS before that). */
  notBefore: number;
}

/** `Cache-Control: max-age` of the JWKS (s): how long a verifier may keep a key set without asking again. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** Most keys kept: a published next key, the one signing and the previous one (still verifying). */
const KEPT_KEYS = 3;

function toSigningKey(stored: StoredKey): SigningKey {
  const privateKey = createPrivateKey(stored.privateKeyPem);
  return {
    kid: stored.kid,
    privateKey,
    publicKey: createPublicKey(privateKey),
    createdAt: stored.createdAt,
    notBefore: Date.parse(stored.notBefore ?? stored.createdAt),
  };
}

function newStoredKey(notBefore = new Date()): StoredKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    kid: randomUUID(),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    createdAt: new Date().toISOString(),
    notBefore: notBefore.toISOString(),
  };
}

/**
 * The ES256 signing keys: the current one signs, the current and the previous one verify, so tokens
 * issued just before a rotation stay valid until they expire. A rotation's new key is published in the JWKS
 * first and signs only once every verifier that honours the JWKS `Cache-Control` has seen it (issue 22;
 * RFC 7517 §5 leaves rollover to the parties — this is the "publish before use" rollover of OpenID Connect
 * Core §10.1.1), so no verifier meets an unknown `kid`. Keys live in a KeyStore (Vault KV in a
 * cluster); the first instance to start creates them, everyone else reads them, and every instance
 * re-reads them periodically to pick up a rotation.
 */
export class SigningKeys {
  private keys: SigningKey[] = [];
  private version = 0;
  private readonly store: KeyStore;
  private readonly logger: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloadSeconds = 0;

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
    this.keys = stored.keys.slice(0, KEPT_KEYS).map(toSigningKey);
    this.version = stored.version;
  }

  /** Re-reads the store every `seconds`; failures keep the keys already loaded. */
  startReloading(seconds: number): void {
    clearInterval(this.timer);
    this.reloadSeconds = seconds;
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.logger?.warn({ err: error }, 'reloading signing keys failed'));
    }, seconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Publishes a new key that signs from `publishAheadSeconds` on (default: the JWKS max-age plus one reload
   * interval, so every replica serves it and every cache has refreshed before it signs). Until then the
   * current key keeps signing; the key before it is dropped, so rotate at most once per access-token
   * lifetime. Throws while an earlier rotation's key is still waiting to sign, or on repeated write conflicts.
   */
  async rotate(publishAheadSeconds = JWKS_MAX_AGE_SECONDS + this.reloadSeconds): Promise<SigningKey> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await this.reload();
      const stored = await this.store.read();
      const newest = stored?.keys[0];
      if (newest !== undefined && Date.parse(newest.notBefore ?? newest.createdAt) > Date.now()) {
        throw new Error(`a rotation is already pending: key ${newest.kid} signs from ${newest.notBefore}`);
      }
      const key = newStoredKey(new Date(Date.now() + publishAheadSeconds * 1000));
      if (await this.store.write([key, ...(stored?.keys ?? []).slice(0, KEPT_KEYS - 1)], this.version)) {
        await this.reload();
        this.logger?.info({ kid: key.kid, notBefore: key.notBefore }, 'published a new signing key');
        return this.keys[0]!;
      }
    }
    throw new Error('signing key rotation kept conflicting with another writer');
  }

  /** The key that signs now: the newest whose `notBefore` has passed. */
  current(): SigningKey {
    const now = Date.now();
    const key = this.keys.find((candidate) => candidate.notBefore <= now) ?? this.keys[this.keys.length - 1];
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
    // The signing key first: a key still waiting to sign may not have reached every replica yet.
    const current = this.current();
    return [current, ...this.keys.filter((key) => key !== current)].map((key) =>
      derive(key, 'content-factory refresh-token successor'),
    );
  }

  /**
   * A 32-byte HMAC key for `purpose`, derived (HKDF-SHA-256) from the signing key `kid`, or from the current
   * signing key when `kid` is omitted; undefined when that key is no longer loaded (rotated out). Every replica
   * derives the same key, so what one signs another verifies; nothing derived is ever stored.
   */
  derivedKey(purpose: string, kid?: string): { kid: string; key: Buffer } | undefined {
    const key = kid === undefined ? this.current() : this.keys.find((candidate) => candidate.kid === kid);
    return key === undefined ? undefined : { kid: key.kid, key: derive(key, `content-factory ${purpose}`) };
  }

  /** The successor of refresh token `parent` under each successor key, current first. */
  successorsOf(parent: string): string[] {
    return this.successorKeys().map((key) => createHmac('sha256', key).update(parent).digest('base64url'));
  }

  /** Public keys only: the next one (when a rotation is pending), the current and the previous. */
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
