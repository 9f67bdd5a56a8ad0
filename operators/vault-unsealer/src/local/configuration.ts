import type { CoreV1Api } from '@kubernetes/client-node';
import type { VaultClient } from '@cf/kit';
import { applyConfiguration } from '../configure.ts';
import { VaultConfiguration } from '../vault-config.ts';

/** The PostgreSQL the local Vault's database engine administers. */
export interface LocalDatabaseServer {
  host: string;
  port: number;
  /** Superuser login: what CloudNativePG's superuser Secret holds in the cluster. */
  username: string;
  password: string;
}

/**
 * The cluster's declarative configuration, with the two things only a cluster has replaced: database connection
 * URLs point at the local PostgreSQL (plain TCP on loopback, `sslmode=disable`) and the Kubernetes auth method is
 * dropped (services get tokens instead, see tokens.ts). Engines, keys, roles and policies stay exactly as given.
 */
export function localConfiguration(config: VaultConfiguration, database: LocalDatabaseServer): VaultConfiguration {
  return VaultConfiguration.parse({
    ...config,
    secretEngines: config.secretEngines.map((engine) =>
      engine.type !== 'database'
        ? engine
        : {
            ...engine,
            connections: engine.connections.map((connection) => {
              // `postgresql://{{username}}:{{password}}@host:port/db?params`: keep the credentials' placeholders and db.
              const match = /^(postgres(?:ql)?:\/\/[^@]+@)[^/]+(\/[^?]*)/.exec(connection.connectionUrl);
              if (match === null) throw new Error(`connection ${connection.name}: unexpected URL shape`);
              return {
                ...connection,
                connectionUrl: `${match[1]}${database.host}:${database.port}${match[2]}?sslmode=disable`,
              };
            }),
          },
    ),
    auth: {},
  });
}

/**
 * Applies the configuration with the operator's own `applyConfiguration`. The only thing it reads from
 * Kubernetes is the database admin Secret each connection names; here that Secret's content is the local
 * superuser login, handed over in memory.
 */
export async function applyLocalConfiguration(
  vault: VaultClient,
  config: VaultConfiguration,
  database: LocalDatabaseServer,
): Promise<string[]> {
  const secrets = {
    async readNamespacedSecret({ name }: { name: string; namespace: string }) {
      const connection = config.secretEngines
        .flatMap((engine) => (engine.type === 'database' ? engine.connections : []))
        .find((candidate) => candidate.adminCredentialsSecret.name === name);
      if (connection === undefined) throw new Error(`no local stand-in for Secret ${name}`);
      const ref = connection.adminCredentialsSecret;
      const b64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64');
      return { data: { [ref.usernameKey]: b64(database.username), [ref.passwordKey]: b64(database.password) } };
    },
  };
  return applyConfiguration(
    // applyConfiguration reads nothing but Secrets through this parameter (configure.ts); a structural stand-in.
    { vault, core: secrets as unknown as CoreV1Api, defaultNamespace: 'local', written: new Map() },
    config,
  );
}
