import { initialize, resetUnseal, sealStatus, unseal, type SealStatus, type VaultHttpOptions } from './vault-http.ts';

/** How one unseal round ended. */
export type RoundResult =
  /** The barrier is open. */
  | { outcome: 'unsealed'; status: SealStatus }
  /** A threshold of shares went in and Vault still says sealed: a raft follower catching up with its leader. */
  | { outcome: 'submitted'; status: SealStatus };

/**
 * One unseal round on `address`: discards progress someone else left (shares from another round must not mix
 * with ours), then submits the first `threshold` keys (Vault's own threshold when it reports one).
 * Throws `VaultHttpError` 400 (OpenBao) / 500 (Vault) when Vault refuses the keys.
 */
export async function unsealRound(
  address: string,
  keys: readonly string[],
  threshold: number,
  status?: SealStatus,
  options: VaultHttpOptions = {},
): Promise<RoundResult> {
  let current = status ?? (await sealStatus(address, options));
  if (!current.sealed) return { outcome: 'unsealed', status: current };
  if (current.progress > 0) await resetUnseal(address, options);
  const needed = current.t > 0 ? current.t : threshold;
  for (const key of keys.slice(0, needed)) {
    current = await unseal(address, key, options);
    if (!current.sealed) return { outcome: 'unsealed', status: current };
  }
  return { outcome: 'submitted', status: current };
}

export interface InitializeAndUnsealOptions extends VaultHttpOptions {
  /** Used only when Vault is not initialized yet. */
  shares: number;
  threshold: number;
  /**
   * The key set this Vault was initialized with, or undefined when there is none (then, and only then, an
   * uninitialized Vault is initialized).
   */
  keys: () => Promise<readonly string[] | undefined>;
  /**
   * Stores what `sys/init` returned before anything else happens; it must not return before the keys are safe.
   */
  store: (init: { keys: string[]; rootToken: string; threshold: number }) => Promise<void>;
}

/**
 * "Initialize if needed, then unseal with the given keys" for one Vault node, for key custody implementations
 * other than the operator's (a local Vault keeping its keys in a file, a restore drill). Refuses to initialize
 * when keys exist (they would open nothing). Returns Vault's final seal status.
 */
export async function initializeAndUnseal(address: string, options: InitializeAndUnsealOptions): Promise<SealStatus> {
  let status = await sealStatus(address, options);
  let keys = await options.keys();
  if (!status.initialized) {
    if (keys !== undefined) throw new Error(`Vault at ${address} is not initialized but unseal keys exist`);
    const init = await initialize(address, options.shares, options.threshold, options);
    await options.store({ ...init, threshold: options.threshold });
    keys = init.keys;
    status = await sealStatus(address, options);
  }
  if (!status.sealed) return status;
  if (keys === undefined) throw new Error(`Vault at ${address} is sealed and no unseal keys exist`);
  return (await unsealRound(address, keys, options.threshold, status, options)).status;
}
