// Issue 20: TLS inside the cluster (Vault, PostgreSQL), Vault's own database role, backups, Pod Security.
import test from 'ava';
import { VAULT_CONFIG_KEY, VaultConfiguration } from '../../operators/vault-unsealer/src/vault-config.ts';
import { internalCa, ns, ourNamespaces, postgres, services, unsealer, vault } from '../../charts-ts/src/platform.ts';
import { both, find, workloads, type K8sObject, type Workload } from './objects.ts';

interface CertificateSpec {
  secretName: string;
  dnsNames: string[];
  issuerRef: { name: string; kind: string };
  usages: string[];
}

const certificate = (all: K8sObject[], name: string, namespace: string): CertificateSpec =>
  find(all, 'Certificate', name, namespace)['spec'] as CertificateSpec;

/** The Secret the file at `path` comes from, resolved through the first container's mounts. */
function mountedSecretOf(w: Workload, path: string): string | undefined {
  const c = w.pod.containers[0]!;
  const mount = (c.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
  const volume = (w.pod.volumes ?? []).find((v) => v.name === mount?.name) as
    { secret?: { secretName: string; items?: { key: string }[] } } | undefined;
  if (volume?.secret?.items !== undefined) assertOnlyCa(volume.secret.items);
  return volume?.secret?.secretName;
}

/** A client mounts only `ca.crt` of a certificate Secret, never its private key. */
function assertOnlyCa(items: { key: string }[]): void {
  if (items.some((i) => i.key !== internalCa.file)) throw new Error(`mounts ${items.map((i) => i.key).join()}`);
}

const envOf = (w: Workload): Record<string, string> =>
  Object.fromEntries((w.pod.containers[0]!.env ?? []).map((e) => [e.name, e.value ?? '']));

for (const { profile, all } of both) {
  const p = profile.name;
  const apps = workloads(all.filter((o) => o.metadata.namespace === ns.apps));

  test(`${p}: an internal CA issuer signs Vault's and PostgreSQL's certificates`, (t) => {
    const issuer = find(all, 'ClusterIssuer', internalCa.issuer)['spec'] as { ca: { secretName: string } };
    t.is(issuer.ca.secretName, internalCa.secret);
    t.true((find(all, 'Certificate', internalCa.issuer, 'cert-manager')['spec'] as { isCA: boolean }).isCA);
    for (const [name, namespace] of [
      [vault.tlsSecret, ns.vault],
      [postgres.serverTlsSecret, ns.data],
      [internalCa.trustSecret, ns.apps],
    ] as const) {
      t.deepEqual(certificate(all, name, namespace).issuerRef, {
        name: internalCa.issuer,
        kind: 'ClusterIssuer',
        group: 'cert-manager.io',
      });
    }
  });

  test(`${p}: Vault's certificate names every pod, the headless, client and active Services`, (t) => {
    const names = certificate(all, vault.tlsSecret, ns.vault).dnsNames;
    for (let i = 0; i < profile.vault.replicas; i++) {
      t.true(names.includes(`vault-${i}.${vault.headless}.${ns.vault}.svc`), `vault-${i}`);
    }
    for (const service of [vault.service, vault.activeService, vault.headless]) {
      t.true(names.includes(`${service}.${ns.vault}.svc`), service);
    }
  });

  test(`${p}: Vault listens with TLS only and joins raft peers over TLS verified against the CA`, (t) => {
    const hcl = (find(all, 'ConfigMap', vault.serverConfigMap, ns.vault)['data'] as Record<string, string>)[
      'vault.hcl'
    ]!;
    t.notRegex(hcl, /tls_disable/);
    t.regex(hcl, new RegExp(`tls_cert_file\\s+= "${vault.tlsDir}/tls.crt"`));
    t.regex(hcl, new RegExp(`tls_key_file\\s+= "${vault.tlsDir}/tls.key"`));
    const joins = [...hcl.matchAll(/retry_join \{([^}]*)\}/g)].map((m) => m[1]!);
    t.is(joins.length, profile.vault.replicas);
    for (const join of joins) {
      t.regex(join, /leader_api_addr\s+= "https:\/\//);
      t.regex(join, new RegExp(`leader_ca_cert_file = "${vault.tlsDir}/ca.crt"`));
    }
    const [server] = workloads([find(all, 'StatefulSet', vault.name, ns.vault)]);
    t.is(mountedSecretOf(server!, `${vault.tlsDir}/tls.crt`), vault.tlsSecret);
    const c = server!.pod.containers[0]! as { readinessProbe?: { httpGet?: { scheme?: string } } };
    t.is(c.readinessProbe?.httpGet?.scheme, 'HTTPS');
  });

  test(`${p}: every Vault client speaks https and verifies the internal CA`, (t) => {
    for (const w of apps.filter((w) => services.find((s) => s.name === w.object.metadata.name)?.vault)) {
      const env = envOf(w);
      t.regex(env['VAULT_ADDR']!, /^https:\/\//, w.object.metadata.name);
      t.is(mountedSecretOf(w, env['VAULT_CACERT']!), internalCa.trustSecret, w.object.metadata.name);
    }
    const [op] = workloads([find(all, 'Deployment', unsealer.name, ns.vault)]);
    const env = envOf(op!);
    t.regex(env['VAULT_ADDRESS_TEMPLATE']!, /^https:\/\//);
    t.is(mountedSecretOf(op!, env['VAULT_CACERT']!), vault.tlsSecret);
    t.false('NODE_EXTRA_CA_CERTS' in env, 'the unsealer trusts the CA for Vault only, not process-wide');
    const [backup] = workloads([find(all, 'CronJob', 'vault-backup', ns.vault)]);
    const backupArgs = backup!.pod.containers[0]!.args ?? [];
    t.true(
      backupArgs.some((arg) => /^--address=https:\/\//.test(arg)),
      'the snapshot job speaks https',
    );
    t.is(mountedSecretOf(backup!, envOf(backup!)['VAULT_CACERT']!), vault.tlsSecret);
  });

  test(`${p}: PostgreSQL accepts TLS clients only, with a certificate from the internal CA`, (t) => {
    const spec = find(all, 'Cluster', postgres.cluster, ns.data)['spec'] as {
      postgresql: { pg_hba: string[] };
      certificates: { serverTLSSecret: string; serverCASecret: string };
    };
    const hba = spec.postgresql.pg_hba.map((line) => line.split(/\s+/));
    t.true(hba.every(([type, , , , method]) => type === 'hostssl' || (type === 'hostnossl' && method === 'reject')));
    t.deepEqual(hba.at(-1), ['hostnossl', 'all', 'all', 'all', 'reject'], 'plaintext never reaches the default rule');
    t.is(spec.certificates.serverTLSSecret, postgres.serverTlsSecret);
    t.true(certificate(all, postgres.serverTlsSecret, ns.data).dnsNames.includes(postgres.rwService));
  });

  test(`${p}: every database client verifies the server (verify-full against the internal CA)`, (t) => {
    for (const w of apps.filter((w) => services.find((s) => s.name === w.object.metadata.name)?.database)) {
      const env = envOf(w);
      t.is(env['DATABASE_SSLMODE'], 'verify-full', w.object.metadata.name);
      t.is(mountedSecretOf(w, env['DATABASE_SSLROOTCERT']!), internalCa.trustSecret);
      t.is(env['DATABASE_HOST'], postgres.rwService);
    }
    const raw = (find(all, 'ConfigMap', unsealer.configMap, ns.vault)['data'] as Record<string, string>)[
      VAULT_CONFIG_KEY
    ]!;
    const engine = VaultConfiguration.parse(JSON.parse(raw)).secretEngines.find((e) => e.type === 'database');
    if (engine?.type !== 'database') return t.fail('no database engine');
    for (const c of engine.connections) {
      const url = new URL(c.connectionUrl.replace('{{username}}:{{password}}', 'u:p'));
      t.is(url.searchParams.get('sslmode'), 'verify-full');
      t.is(url.searchParams.get('sslrootcert'), `${vault.tlsDir}/ca.crt`);
    }
  });

  test(`${p}: Vault's database engine logs in as a CREATEROLE role, never the superuser`, (t) => {
    const spec = find(all, 'Cluster', postgres.cluster, ns.data)['spec'] as {
      enableSuperuserAccess: boolean;
      bootstrap: { initdb: { owner: string; postInitSQL: string[] } };
    };
    t.false(spec.enableSuperuserAccess);
    t.is(spec.bootstrap.initdb.owner, postgres.vaultAdmin);
    const sql = spec.bootstrap.initdb.postInitSQL.join('\n');
    t.regex(sql, new RegExp(`ALTER ROLE ${postgres.vaultAdmin} CREATEROLE`));
    t.notRegex(sql, /SUPERUSER/);
    for (const s of services.filter((x) => x.database !== undefined)) {
      t.regex(sql, new RegExp(`GRANT ${s.database} TO ${postgres.vaultAdmin} WITH ADMIN OPTION`));
    }
    t.notRegex(JSON.stringify(all), /cf-postgres-superuser/);
  });

  test(`${p}: ${p === 'prod' ? 'backups go through the Barman Cloud plugin' : 'no backups'}, never barmanObjectStore`, (t) => {
    t.notRegex(JSON.stringify(all), /barmanObjectStore/);
    const spec = find(all, 'Cluster', postgres.cluster, ns.data)['spec'] as {
      plugins?: { name: string; isWALArchiver: boolean; parameters: Record<string, string> }[];
    };
    if (p === 'dev') return t.is(spec.plugins, undefined);
    t.deepEqual(spec.plugins, [
      {
        name: postgres.barmanPlugin,
        isWALArchiver: true,
        parameters: { barmanObjectName: postgres.backupObjectStore },
      },
    ]);
    const store = find(all, 'ObjectStore', postgres.backupObjectStore, ns.data)['spec'] as {
      configuration: { s3Credentials: unknown };
    };
    t.deepEqual(store.configuration.s3Credentials, { inheritFromIAMRole: true });
    const backup = find(all, 'ScheduledBackup', `${postgres.cluster}-daily`, ns.data)['spec'] as Record<
      string,
      unknown
    >;
    t.is(backup['method'], 'plugin');
  });

  test(`${p}: Pod Security enforces restricted in every namespace but the log shipper's own, which holds only Filebeat`, (t) => {
    for (const name of ourNamespaces) {
      const labels = find(all, 'Namespace', name).metadata.labels!;
      const level = name === ns.logShipper ? 'privileged' : 'restricted';
      // Warn and audit say the same as enforce: a namespace never warns about what it admits on purpose.
      for (const mode of ['enforce', 'warn', 'audit']) {
        t.is(labels[`pod-security.kubernetes.io/${mode}`], level, `${name} ${mode}`);
      }
    }
    t.deepEqual(
      workloads(all)
        .filter((w) => w.object.metadata.namespace === ns.logShipper)
        .map((w) => `${w.object.kind}/${w.object.metadata.name}`),
      ['DaemonSet/filebeat'],
    );
  });
}
