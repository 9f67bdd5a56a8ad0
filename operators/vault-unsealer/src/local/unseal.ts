import { healthStatus, initialize, resetUnseal, sealStatus, unseal, VaultHttpError } from '../vault-http.ts';
import type { LocalKeyFile } from './key-file.ts';

export interface LocalUnsealOptions {
  /** Vault API address, e.g. `http://127.0.0.1:8083`. */
  address: string;
  keyFile: LocalKeyFile;
  /** Key shares and threshold of a first initialization. Default: 5 and 3, as the operator's defaults. */
  shares?: number;
  threshold?: number;
  /** Overall deadline for reaching an active, unsealed Vault. Default: 30 000 ms. */
  timeoutMs?: number;
  /** One line per step taken ("initialized", "unsealed"); never a key. */
  progress?: (line: string) => void;
}

export interface LocalUnsealResult {
  /** Whether this call initialized Vault (first start). */
  initialized: boolean;
  /** The root token kept in the key file: the local mode's administrative login. */
  rootToken: string;
}

/**
 * Brings a single-node Vault on this machine to active and unsealed: initializes it once (keys written to the
 * key file before anything else), and on every later start submits the stored shares. Uses the operator's own
 * HTTP calls (vault-http.ts), whose errors carry no request body and no Vault answer text.
 *
 * Errors: keys without data (an initialized-looking key file with an uninitialized Vault, or the reverse) and
 * rejected keys stop with a message naming the file — never a re-initialization that would overwrite them.
 */
export async function initializeOrUnseal(options: LocalUnsealOptions): Promise<LocalUnsealResult> {
  const { address, keyFile } = options;
  const progress = options.progress ?? (() => {});
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let status = await sealStatus(address);
  let keys = keyFile.read();
  let initialized = false;
  if (!status.initialized) {
    if (keys !== undefined) {
      throw new Error(
        `Vault's storage is empty but ${keyFile.path} holds keys of an earlier initialization; not initializing over them (move the file away, or run npm start -- --reset)`,
      );
    }
    const result = await initialize(address, options.shares ?? 5, options.threshold ?? 3);
    keys = keyFile.create({ keys: result.keys, threshold: options.threshold ?? 3, rootToken: result.rootToken });
    initialized = true;
    progress(`Vault initialized; unseal keys stored in ${keyFile.path} (mode 0600)`);
    status = await sealStatus(address);
  }
  if (keys === undefined) {
    throw new Error(`Vault is initialized but ${keyFile.path} does not exist: its unseal keys are not on this machine`);
  }
  if (keys.rootToken === undefined) throw new Error(`${keyFile.path} holds no root token`);
  if (status.sealed) {
    try {
      // Shares left by a start that died half-way must not mix with ours.
      if (status.progress > 0) await resetUnseal(address);
      const needed = status.t > 0 ? status.t : keys.threshold;
      for (const key of keys.keys.slice(0, needed)) {
        status = await unseal(address, key);
        if (!status.sealed) break;
      }
    } catch (error) {
      if (error instanceof VaultHttpError && (error.status === 400 || error.status === 500)) {
        throw new Error(`Vault rejected the unseal keys in ${keyFile.path} (HTTP ${error.status})`, { cause: error });
      }
      throw error;
    }
    if (status.sealed) throw new Error(`Vault is still sealed after the keys in ${keyFile.path}`);
    progress('Vault unsealed');
  }
  // A single raft node becomes active once it elected itself leader: a moment after the barrier opens.
  while ((await healthStatus(address).catch(() => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('Vault unsealed but did not become active in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { initialized, rootToken: keys.rootToken };
}
