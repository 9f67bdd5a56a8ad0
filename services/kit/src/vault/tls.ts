import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * Environment of a Vault client's TLS, spread into a service's config schema. `VAULT_CACERT` is the path of a
 * PEM bundle of the CAs Vault's listener certificate must chain to — the name the Vault and OpenBao CLIs use
 * (developer.hashicorp.com/vault/docs/commands#vault_cacert). Unset: the system's CAs (or plain HTTP).
 */
export const vaultTlsEnv = {
  VAULT_CACERT: z.string().min(1).optional(),
};

export interface VaultTlsEnv {
  VAULT_CACERT?: string | undefined;
}

/** The PEM to verify Vault with, read from `VAULT_CACERT`; a missing or unreadable file is a startup error. */
export async function vaultCaFromEnv(settings: VaultTlsEnv): Promise<{ ca?: string }> {
  if (settings.VAULT_CACERT === undefined) return {};
  try {
    return { ca: await readFile(settings.VAULT_CACERT, 'utf8') };
  } catch (error) {
    throw new Error(`invalid configuration: VAULT_CACERT: cannot read ${settings.VAULT_CACERT}`, { cause: error });
  }
}
