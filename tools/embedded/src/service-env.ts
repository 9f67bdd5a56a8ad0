import type { PostgresServer } from './postgres.ts';
import type { VaultServer } from './vault.ts';

/**
 * The variables by which one of our services reaches a PostgreSQL and a Vault started here: keys of the services'
 * config schemas (`DATABASE_*` from the kit's `from-env.ts`, `VAULT_*` from its Vault settings). The Vault is
 * expected in dev mode, logged into with its root token (`VAULT_AUTH=token`); a server-mode Vault has none.
 */
export function backingServicesEnv(postgres: PostgresServer, vault: VaultServer): Record<string, string> {
  return {
    DATABASE_HOST: postgres.host,
    DATABASE_PORT: String(postgres.port),
    DATABASE_USER: postgres.user,
    DATABASE_PASSWORD: postgres.password,
    VAULT_ADDR: vault.address,
    VAULT_AUTH: 'token',
    VAULT_TOKEN: vault.rootToken ?? '',
  };
}
