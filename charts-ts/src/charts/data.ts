import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { internalCertificate, serviceDnsNames } from '../lib/certificates.ts';
import { labels, ns, postgres, services } from '../platform.ts';
import type { Profile } from '../profile.ts';

/**
 * Once, at bootstrap, as the superuser: the owner role of each service, and ADMIN on it for Vault's login.
 * CloudNativePG's managed roles cannot grant ADMIN OPTION, which a CREATEROLE role needs since PostgreSQL 16
 * to grant membership; a service added later needs its two statements run once by hand. `createrole_self_grant`
 * gives vault_admin the privileges of the logins it creates, so REASSIGN/DROP OWNED BY work at revocation.
 */
function bootstrapSql(owners: readonly string[]): string[] {
  return [
    `ALTER ROLE ${postgres.vaultAdmin} CREATEROLE`,
    `ALTER ROLE ${postgres.vaultAdmin} SET createrole_self_grant = 'set, inherit'`,
    ...owners.flatMap((owner) => [
      `CREATE ROLE ${owner} NOLOGIN INHERIT`,
      `GRANT ${owner} TO ${postgres.vaultAdmin} WITH ADMIN OPTION`,
    ]),
  ];
}

/**
 * PostgreSQL run by CloudNativePG: one `Cluster`, one database and owner role per service, TLS for every
 * client (`hostssl` only, server certificate from the internal CA). No password exists here: the operator
 * generates Vault's login Secret (read only by vault-unsealer), and services get short-lived logins from Vault's
 * database engine that `SET ROLE` to their database's owner role. Prod backs up through the Barman Cloud plugin.
 */
export class DataChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const owners = services.filter((s) => s.database !== undefined);
    const { backup } = profile.postgres;
    const meta = (name: string, component: string): Record<string, unknown> => ({
      name,
      namespace: ns.data,
      labels: labels('postgres', component),
    });
    // CloudNativePG reads `tls.crt`/`tls.key` and, as serverCASecret, the same Secret's `ca.crt`.
    internalCertificate(this, 'server-certificate', {
      name: postgres.serverTlsSecret,
      namespace: ns.data,
      labels: labels('postgres', 'database'),
      dnsNames: ['rw', 'ro', 'r'].flatMap((kind) => serviceDnsNames(`${postgres.cluster}-${kind}`, ns.data)),
    });
    new ApiObject(this, 'postgres', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: meta(postgres.cluster, 'database'),
      spec: {
        instances: profile.postgres.instances,
        imageName: postgres.image,
        primaryUpdateStrategy: 'unsupervised',
        enableSuperuserAccess: false,
        bootstrap: {
          initdb: {
            database: postgres.vaultAdmin,
            owner: postgres.vaultAdmin,
            postInitSQL: bootstrapSql(owners.map((s) => s.database!)),
          },
        },
        certificates: { serverTLSSecret: postgres.serverTlsSecret, serverCASecret: postgres.serverTlsSecret },
        postgresql: {
          // Appended before CloudNativePG's trailing `host all all all scram-sha-256`, so plaintext never gets there.
          pg_hba: ['hostssl all all all scram-sha-256', 'hostnossl all all all reject'],
        },
        managed: {
          // vault_admin is not listed: CloudNativePG would revoke the memberships its bootstrap SQL granted.
          roles: owners.map((s) => ({
            name: s.database,
            ensure: 'present',
            login: false,
            inherit: true,
            comment: `owner of the ${s.name} database; Vault-issued logins are members`,
          })),
        },
        storage: { size: profile.postgres.storage },
        ...(profile.postgres.walStorage !== undefined ? { walStorage: { size: profile.postgres.walStorage } } : {}),
        resources: profile.postgres.resources,
        // The built-in exporter answers on :9187/metrics of every instance; Prometheus scrapes it.
        monitoring: { enablePodMonitor: false },
        affinity: {
          enablePodAntiAffinity: true,
          topologyKey: 'kubernetes.io/hostname',
          podAntiAffinityType: 'required',
        },
        ...(backup !== undefined
          ? {
              plugins: [
                {
                  name: postgres.barmanPlugin,
                  isWALArchiver: true,
                  parameters: { barmanObjectName: postgres.backupObjectStore },
                },
              ],
            }
          : {}),
      },
    });
    for (const s of owners) {
      new ApiObject(this, `database-${s.name}`, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Database',
        metadata: meta(s.name, 'database'),
        spec: { name: s.database, owner: s.database, cluster: { name: postgres.cluster }, ensure: 'present' },
      });
    }
    if (backup !== undefined) {
      // barmanObjectStore in the Cluster is deprecated since CloudNativePG 1.26 and removed in 1.32.
      new ApiObject(this, 'object-store', {
        apiVersion: 'barmancloud.cnpg.io/v1',
        kind: 'ObjectStore',
        metadata: meta(postgres.backupObjectStore, 'backup'),
        spec: {
          retentionPolicy: backup.retention,
          configuration: {
            destinationPath: backup.destinationPath,
            // Credentials come from the node's or workload's cloud identity, never from a manifest.
            s3Credentials: { inheritFromIAMRole: true },
            wal: { compression: 'gzip' },
            data: { compression: 'gzip' },
          },
        },
      });
      new ApiObject(this, 'scheduled-backup', {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'ScheduledBackup',
        metadata: meta(`${postgres.cluster}-daily`, 'backup'),
        spec: {
          schedule: backup.schedule,
          backupOwnerReference: 'self',
          cluster: { name: postgres.cluster },
          method: 'plugin',
          pluginConfiguration: { name: postgres.barmanPlugin },
        },
      });
    }
  }
}
