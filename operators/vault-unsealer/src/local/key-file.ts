import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import type { UnsealKeys } from '../key-store.ts';

/**
 * The local mode's key custody: the unseal keys and root token of a Vault on this machine, in one file that is
 * created once with mode 0600 and never rewritten or deleted by us — the same rules as the cluster's key Secret
 * (FACTS: a double init that overwrote keys, keys that drifted from the data). Its content is never logged.
 */
export class LocalKeyFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The stored keys; undefined when the file does not exist. Refuses a file others can read. */
  read(): UnsealKeys | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if ((statSync(this.path).mode & 0o077) !== 0) {
      throw new Error(`${this.path} is readable by other users; run: chmod 600 ${this.path}`);
    }
    let parsed: { keys?: unknown; threshold?: unknown; rootToken?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new Error(`${this.path} is not the key file vault-unsealer wrote (not JSON)`);
    }
    const keys = Array.isArray(parsed.keys) ? parsed.keys.filter((key) => typeof key === 'string') : [];
    const threshold = typeof parsed.threshold === 'number' ? parsed.threshold : keys.length;
    if (keys.length === 0 || threshold < 1 || threshold > keys.length) {
      throw new Error(`${this.path} holds no usable unseal keys`);
    }
    return {
      keys,
      threshold,
      rootToken: typeof parsed.rootToken === 'string' ? parsed.rootToken : undefined,
      version: this.path,
    };
  }

  /**
   * Create-only (`O_EXCL`, mode 0600, fsynced before returning): an existing file is never overwritten, so a
   * second initialization can never destroy the keys of the first.
   */
  create(keys: Omit<UnsealKeys, 'version'>): UnsealKeys {
    const fd = openSync(this.path, 'wx', 0o600);
    try {
      writeSync(
        fd,
        `${JSON.stringify({
          note: 'Unseal keys and root token of the local Vault (npm start). Losing this file loses .local/vault.',
          keys: keys.keys,
          threshold: keys.threshold,
          rootToken: keys.rootToken,
        })}\n`,
      );
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { ...keys, version: this.path };
  }
}
