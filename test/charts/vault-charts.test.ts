import test from 'ava';
import { keySecretNames } from '../../operators/vault-unsealer/src/key-store.ts';
import { ns, unsealer, vault } from '../../charts-ts/src/platform.ts';
import { both, find, workloads, type K8sObject } from './objects.ts';

// The Vault server and its unsealer as the charts deploy them, in both profiles.
for (const { profile, all } of both) {
  const p = profile.name;

  test(`${p}: Vault probes never kill a sealed or uninitialized pod, and only unsealed pods are ready`, (t) => {
    const sts = find(all, 'StatefulSet', vault.name, ns.vault);
    const [w] = workloads([sts]);
    const c = w!.pod.containers[0]!;
    for (const probe of [c.livenessProbe, c.startupProbe]) {
      const path = probe!.httpGet!.path;
      t.regex(path, /sealedcode=2\d\d/);
      t.regex(path, /uninitcode=2\d\d/);
      t.regex(path, /standbyok=true/);
    }
    t.notRegex(c.readinessProbe!.httpGet!.path, /sealedcode|uninitcode/);
  });

  test(`${p}: Vault runs ${profile.vault.replicas} raft replica(s) with retry_join, service registration and a PDB`, (t) => {
    const sts = find(all, 'StatefulSet', vault.name, ns.vault)['spec'] as {
      replicas: number;
      podManagementPolicy: string;
      serviceName: string;
      volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[];
      template: { metadata: { labels: Record<string, string> } };
    };
    t.is(sts.replicas, profile.vault.replicas);
    t.is(sts.podManagementPolicy, 'Parallel');
    t.is(sts.serviceName, vault.headless);
    t.is(sts.template.metadata.labels['app.kubernetes.io/name'], 'vault');
    t.is(sts.volumeClaimTemplates[0]!.spec.resources.requests.storage, profile.vault.storage);
    const hcl = (find(all, 'ConfigMap', vault.serverConfigMap, ns.vault)['data'] as Record<string, string>)[
      'vault.hcl'
    ]!;
    t.is(hcl.match(/retry_join \{/g)?.length, profile.vault.replicas);
    t.regex(hcl, /storage "raft"/);
    t.regex(hcl, /service_registration "kubernetes"/);
    const headless = find(all, 'Service', vault.headless, ns.vault)['spec'] as Record<string, unknown>;
    t.is(headless['clusterIP'], 'None');
    t.true(headless['publishNotReadyAddresses']);
    t.truthy(find(all, 'PodDisruptionBudget', vault.name, ns.vault));
    const binding = find(all, 'ClusterRoleBinding', 'cf-vault-auth-delegator') as K8sObject & {
      roleRef: { name: string };
      subjects: { name: string; namespace: string }[];
    };
    t.is(binding.roleRef.name, 'system:auth-delegator');
    t.deepEqual(
      binding.subjects.map((s) => `${s.namespace}/${s.name}`),
      [`${ns.vault}/${vault.serviceAccount}`],
    );
  });

  test(`${p}: the unsealer gets the operator's environment contract and its ConfigMap mounted`, (t) => {
    const [w] = workloads([find(all, 'Deployment', unsealer.name, ns.vault)]);
    const c = w!.pod.containers[0]!;
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? 'fieldRef']));
    t.like(env, {
      POD_NAME: 'fieldRef',
      POD_NAMESPACE: 'fieldRef',
      VAULT_POD_SELECTOR: 'app.kubernetes.io/name=vault',
      VAULT_ADDRESS_TEMPLATE: 'https://{pod}.{service}.{namespace}.svc:8200',
      VAULT_HEADLESS_SERVICE: 'vault-internal',
      VAULT_FIRST_POD: 'vault-0',
      VAULT_KEY_SECRET: 'vault-unseal-keys',
      VAULT_SECRET_SHARES: String(profile.vault.secretShares),
      VAULT_SECRET_THRESHOLD: String(profile.vault.secretThreshold),
      VAULT_KEY_SECRETS: String(profile.vault.keySecrets),
      VAULT_CONFIG_FILE: '/etc/vault-unsealer/vault-config.json',
      LEASE_NAME: 'vault-unsealer',
      PORT: '8080',
    });
    t.true(c.volumeMounts!.some((m) => m.mountPath === '/etc/vault-unsealer'));
    t.true(w!.pod.automountServiceAccountToken);
    t.is(w!.pod.serviceAccountName, unsealer.name);
  });

  test(`${p}: unsealer RBAC is namespaced and least-privilege`, (t) => {
    // Cluster-wide rights exist (the monitoring stack reads nodes and namespaces), but none for the unsealer.
    const bindings = all.filter((o) => o.kind === 'ClusterRoleBinding') as (K8sObject & {
      subjects: { kind: string; name: string; namespace?: string }[];
    })[];
    t.false(bindings.some((b) => b.subjects.some((s) => s.name === unsealer.name && s.namespace === ns.vault)));
    // ClusterRoles only read (the monitoring stack reads nodes and namespaces; the log shipper reads pod metadata).
    const clusterRoles = all.filter((o) => o.kind === 'ClusterRole') as (K8sObject & {
      rules: { verbs: string[] }[];
    })[];
    t.true(clusterRoles.map((o) => o.metadata.name).includes('cf-filebeat'));
    t.true(clusterRoles.every((o) => o.rules.every((r) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v)))));
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    const rules = (find(all, 'Role', unsealer.name, ns.vault) as K8sObject & { rules: Rule[] }).rules;
    const secretRules = rules.filter((r) => r.resources.includes('secrets'));
    t.deepEqual(
      secretRules.map((r) => ({ verbs: r.verbs, names: r.resourceNames })),
      [
        { verbs: ['create'], names: undefined },
        { verbs: ['get'], names: keySecretNames('vault-unseal-keys', profile.vault.keySecrets) },
      ],
    );
    const leaseRules = rules.filter((r) => r.resources.includes('leases'));
    t.true(leaseRules.every((r) => r.verbs.join() === 'create' || r.resourceNames?.join() === 'vault-unsealer'));
    t.false(rules.some((r) => r.verbs.includes('delete') || r.verbs.includes('*') || r.resources.includes('*')));
    const dbRole = find(all, 'Role', `${unsealer.name}-db-admin`, ns.data) as K8sObject & { rules: Rule[] };
    t.deepEqual(dbRole.rules, [
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['cf-postgres-app'], verbs: ['get'] },
    ]);
  });
}
