import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { VaultRequestError, type VaultClient } from '@cf/kit';

export interface StoredKey {
  kid: string;
  privateKeyPem: string;
  createdAt: string;
  /** ISO time from which the key signs; until then it is only published. Absent: from `createdAt`. */
  notBefore?: string;
}

/** Where signing keys persist, with a version for check-and-set writes. */
export interface KeyStore {
  read(): Promise<{ keys: StoredKey[]; version: number } | undefined>;
  /** Writes when the stored version is `expectedVersion` (0: nothing stored); false on a conflict. */
  write(keys: StoredKey[], expectedVersion: number): Promise<boolean>;
}

/** Vault KV v2: the private keys never leave Vault and the service's policy. */
export class VaultKeyStore implements KeyStore {
  private readonly deps: { vault: VaultClient; mount: string; path: string };

  constructor(deps: VaultKeyStore['deps']) {
    this.deps = deps;
  }

  async read(): Promise<{ keys: StoredKey[]; version: number } | undefined> {
    const secret = await this.deps.vault.kvRead<{ keys: StoredKey[] }>(this.deps.mount, this.deps.path);
    return secret === undefined ? undefined : { keys: secret.data.keys, version: secret.version };
  }

  async write(keys: StoredKey[], expectedVersion: number): Promise<boolean> {
    try {
      await this.deps.vault.kvWrite(this.deps.mount, this.deps.path, { keys }, { cas: expectedVersion });
      return true;
    } catch (error) {
      if (error instanceof VaultRequestError && /check-and-set/.test(error.message)) return false;
      throw error;
    }
  }
}

/**
 * A JSON file readable only by its owner: for `npm start` without Vault. Clearly not for production —
 * main.ts refuses it when NODE_ENV is production.
 */
export class FileKeyStore implements KeyStore {
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  async read(): Promise<{ keys: StoredKey[]; version: number } | undefined> {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as { keys: StoredKey[]; version: number };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new VaultRequestError(`local key file ${this.file} is unreadable`, 0, this.file);
    }
  }

  async write(keys: StoredKey[], expectedVersion: number): Promise<boolean> {
    const current = await this.read();
    if ((current?.version ?? 0) !== expectedVersion) return false;
    mkdirSync(dirname(this.file), { recursive: true });
    const partial = `${this.file}.partial`;
    writeFileSync(partial, JSON.stringify({ keys, version: expectedVersion + 1 }), { mode: 0o600 });
    renameSync(partial, this.file);
    return true;
  }
}
