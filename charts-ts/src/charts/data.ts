import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { labels, ns, postgres, services } from '../platform.ts';
import type { Profile } from '../profile.ts';

/**
 * PostgreSQL run by CloudNativePG: one `Cluster`, one database and owner role per service. No password
 * exists here: the operator generates the superuser Secret (read only by vault-unsealer), and services get
 * short-lived logins from Vault's database engine that `SET ROLE` to their database's owner role.
 */
export class DataChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const owners = services.filter((s) => s.database !== undefined);
    const { backup } = profile.postgres;
    new ApiObject(this, 'postgres', {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: postgres.cluster, namespace: ns.data, labels: labels('postgres', 'database') },
      spec: {
        instances: profile.postgres.instances,
        imageName: postgres.image,
        primaryUpdateStrategy: 'unsupervised',
        // The superuser Secret is what Vault's database engine administers logins with.
        enableSuperuserAccess: true,
        bootstrap: { initdb: { database: 'app', owner: 'app' } },
        managed: {
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
        affinity: { enablePodAntiAffinity: true, topologyKey: 'kubernetes.io/hostname' },
        ...(backup !== undefined
          ? {
              backup: {
                retentionPolicy: backup.retention,
                barmanObjectStore: {
                  destinationPath: backup.destinationPath,
                  // Credentials come from the node's or workload's cloud identity, never from a manifest.
                  s3Credentials: { inheritFromIAMRole: true },
                  wal: { compression: 'gzip' },
                  data: { compression: 'gzip' },
                },
              },
            }
          : {}),
      },
    });
    for (const s of owners) {
      new ApiObject(this, `database-${s.name}`, {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Database',
        metadata: { name: s.name, namespace: ns.data, labels: labels('postgres', 'database') },
        spec: { name: s.database, owner: s.database, cluster: { name: postgres.cluster }, ensure: 'present' },
      });
    }
    if (backup !== undefined) {
      new ApiObject(this, 'scheduled-backup', {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'ScheduledBackup',
        metadata: { name: `${postgres.cluster}-daily`, namespace: ns.data, labels: labels('postgres', 'backup') },
        spec: { schedule: backup.schedule, backupOwnerReference: 'self', cluster: { name: postgres.cluster } },
      });
    }
  }
}
