import { z } from 'zod';
import { env } from './config.ts';
import { databaseTlsEnv } from './database/tls.ts';
import { vaultTlsEnv } from './vault/tls.ts';

/**
 * The database block of a service's config schema (spread into it): where its PostgreSQL is (default
 * 127.0.0.1:5432, database `name`), how it logs in — a static DATABASE_USER/DATABASE_PASSWORD for local runs and
 * tests, else short-lived logins from Vault's database engine role `vaultRole` — the role those logins
 * `SET ROLE` to (DATABASE_OWNER_ROLE, so tables belong to the service) and the TLS settings. What
 * `databaseFromEnv` reads.
 */
export function databaseEnv(defaults: { name: string; vaultRole: string }) {
  return {
    DATABASE_HOST: z.string().default('127.0.0.1'),
    DATABASE_PORT: env.port(5432),
    DATABASE_NAME: z.string().default(defaults.name),
    DATABASE_USER: z.string().optional(),
    DATABASE_PASSWORD: z.string().optional(),
    DATABASE_OWNER_ROLE: z.string().optional(),
    VAULT_DATABASE_ROLE: z.string().default(defaults.vaultRole),
    ...databaseTlsEnv,
  };
}

/**
 * The Vault login block of a service's config schema (spread into it), what `connectVaultFromEnv` reads:
 * VAULT_ADDR (unset: no Vault — what a service does then is its own, said where it spreads this), VAULT_AUTH
 * (`kubernetes` in a cluster with the ServiceAccount token at VAULT_JWT_FILE, `token` with VAULT_TOKEN for local
 * runs and tests), the CA settings and VAULT_ROLE (default `role`, the Kubernetes auth role).
 */
export function vaultLoginEnv(role: string) {
  return {
    VAULT_ADDR: z.url().optional(),
    VAULT_AUTH: z.enum(['kubernetes', 'token']).default('kubernetes'),
    ...vaultTlsEnv,
    VAULT_TOKEN: z.string().optional(),
    VAULT_ROLE: z.string().default(role),
    VAULT_JWT_FILE: z.string().default('/var/run/secrets/vault/token'),
  };
}
