import { readFile } from 'node:fs/promises';
import { StaticCredentials, VaultDatabaseCredentials, type CredentialSource } from './database/credentials.ts';
import { Database } from './database/database.ts';
import { databaseTlsFromEnv, type DatabaseTlsEnv } from './database/tls.ts';
import type { Logger } from './logger.ts';
import { VaultClient } from './vault/client.ts';
import { vaultCaFromEnv, type VaultTlsEnv } from './vault/tls.ts';

/** The Vault settings every service reads from its environment (each service sets its own defaults). */
export interface VaultEnv extends VaultTlsEnv {
  /** Unset: no Vault (local runs only). */
  VAULT_ADDR?: string | undefined;
  /** `kubernetes` in a cluster (the ServiceAccount token at VAULT_JWT_FILE), `token` for local runs and tests. */
  VAULT_AUTH: 'kubernetes' | 'token';
  VAULT_TOKEN?: string | undefined;
  VAULT_ROLE: string;
  VAULT_JWT_FILE: string;
}

/** Logs into Vault as the environment says, or returns undefined when VAULT_ADDR is unset. */
export async function connectVaultFromEnv(settings: VaultEnv, logger: Logger): Promise<VaultClient | undefined> {
  if (settings.VAULT_ADDR === undefined) return undefined;
  const tls = await vaultCaFromEnv(settings);
  if (settings.VAULT_AUTH === 'token') {
    if (settings.VAULT_TOKEN === undefined) {
      throw new Error('invalid configuration: VAULT_TOKEN: required when VAULT_AUTH=token');
    }
    return VaultClient.connect({
      endpoint: settings.VAULT_ADDR,
      auth: { method: 'token', token: settings.VAULT_TOKEN },
      ...tls,
      logger,
    });
  }
  return VaultClient.connect({
    endpoint: settings.VAULT_ADDR,
    // The projected token file rotates: read it at every login.
    auth: {
      method: 'kubernetes',
      role: settings.VAULT_ROLE,
      jwt: async () => (await readFile(settings.VAULT_JWT_FILE, 'utf8')).trim(),
    },
    ...tls,
    logger,
  });
}

export interface DatabaseLoginEnv {
  /** A static login for local runs; unset means Vault's database engine. */
  DATABASE_USER?: string | undefined;
  DATABASE_PASSWORD?: string | undefined;
  VAULT_DATABASE_ROLE: string;
}

/** Static credentials when DATABASE_USER is set, else short-lived ones from Vault's database engine. */
export function credentialsFromEnv(
  settings: DatabaseLoginEnv,
  vault: VaultClient | undefined,
  logger: Logger,
): CredentialSource {
  if (settings.DATABASE_USER !== undefined) {
    return new StaticCredentials({ username: settings.DATABASE_USER, password: settings.DATABASE_PASSWORD ?? '' });
  }
  if (vault !== undefined) return new VaultDatabaseCredentials({ vault, role: settings.VAULT_DATABASE_ROLE, logger });
  throw new Error('invalid configuration: DATABASE_USER: required when VAULT_ADDR is not set');
}

export interface DatabaseEnv extends DatabaseLoginEnv, DatabaseTlsEnv {
  DATABASE_HOST: string;
  DATABASE_PORT: number;
  DATABASE_NAME: string;
  /** Role dynamic logins `SET ROLE` to, so tables belong to the service. */
  DATABASE_OWNER_ROLE?: string | undefined;
}

/** The service's database as its environment describes it, with credentials from `credentialsFromEnv`. */
export function databaseFromEnv(settings: DatabaseEnv, vault: VaultClient | undefined, logger: Logger): Database {
  return new Database({
    host: settings.DATABASE_HOST,
    port: settings.DATABASE_PORT,
    database: settings.DATABASE_NAME,
    credentials: credentialsFromEnv(settings, vault, logger),
    tls: databaseTlsFromEnv(settings),
    ...(settings.DATABASE_OWNER_ROLE !== undefined ? { ownerRole: settings.DATABASE_OWNER_ROLE } : {}),
    logger,
  });
}
