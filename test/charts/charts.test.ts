import test from 'ava';
import { chartIds } from '../../charts-ts/src/app.ts';
import { ns, ourNamespaces, unsealer, vault } from '../../charts-ts/src/platform.ts';
import { both, containersOf, find, workloads, type K8sObject } from './objects.ts';

const CLUSTER_SCOPED = [
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ClusterIssuer',
  'GatewayClass',
  'PriorityClass',
];

for (const { profile, charts, all } of both) {
  const p = profile.name;

  test(`${p}: every chart synthesizes objects`, (t) => {
    t.deepEqual([...charts.keys()], [...chartIds]);
    for (const [id, objects] of charts) t.true(objects.length > 0, id);
  });

  test(`${p}: every container has cpu and memory requests and limits`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        for (const kind of ['requests', 'limits'] as const) {
          t.truthy(c.resources?.[kind]?.['cpu'], `${w.object.metadata.name}/${c.name} ${kind}.cpu`);
          t.truthy(c.resources?.[kind]?.['memory'], `${w.object.metadata.name}/${c.name} ${kind}.memory`);
        }
      }
    }
  });

  test(`${p}: every container runs as a numeric non-root user without privilege escalation`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        const uid = c.securityContext?.runAsUser ?? w.pod.securityContext?.runAsUser;
        t.true(Number.isInteger(uid) && uid! > 0, `${c.name}: runAsUser ${uid}`);
        t.true(c.securityContext?.runAsNonRoot ?? w.pod.securityContext?.runAsNonRoot, `${c.name}: runAsNonRoot`);
        t.false(c.securityContext?.allowPrivilegeEscalation, `${c.name}: allowPrivilegeEscalation`);
        t.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: capabilities`);
      }
    }
  });

  test(`${p}: every container has liveness, readiness and startup probes`, (t) => {
    for (const w of workloads(all)) {
      for (const c of w.pod.containers) {
        t.truthy(c.livenessProbe?.httpGet?.path, `${c.name} liveness`);
        t.truthy(c.readinessProbe?.httpGet?.path, `${c.name} readiness`);
        t.truthy(c.startupProbe?.httpGet?.path, `${c.name} startup`);
        t.not(
          c.livenessProbe?.httpGet?.path,
          c.readinessProbe?.httpGet?.path,
          `${c.name}: readiness means more than liveness`,
        );
      }
    }
  });

  test(`${p}: our images use pinned names and never pull policy Always`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        t.not((c as { imagePullPolicy?: string }).imagePullPolicy, 'Always', c.name);
        if (c.image.startsWith('cf/')) t.is(c.image.includes(':'), p === 'prod', `${c.image}: tagged only in prod`);
        else t.regex(c.image, /:[\w.-]+$/, `${c.image} is pinned`);
      }
    }
  });

  test(`${p}: every object carries app.kubernetes.io labels and workloads label their pods`, (t) => {
    for (const o of all) {
      t.is(o.metadata.labels?.['app.kubernetes.io/part-of'], 'content-factory', `${o.kind}/${o.metadata.name}`);
    }
    for (const w of workloads(all)) {
      for (const key of ['name', 'instance', 'component', 'part-of']) {
        t.truthy(w.podLabels[`app.kubernetes.io/${key}`], `${w.object.metadata.name}: ${key}`);
      }
    }
  });

  test(`${p}: cluster-scoped objects have no namespace and every other object has one of ours or cert-manager's`, (t) => {
    for (const o of all) {
      if (CLUSTER_SCOPED.includes(o.kind)) t.is(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else
        t.true([...ourNamespaces, 'cert-manager'].includes(o.metadata.namespace ?? ''), `${o.kind}/${o.metadata.name}`);
    }
  });

  test(`${p}: every namespace of ours has a default-deny policy for ingress and egress and allows DNS`, (t) => {
    const policies = all.filter((o) => o.kind === 'NetworkPolicy');
    for (const namespace of ourNamespaces) {
      t.truthy(find(all, 'Namespace', namespace));
      const deny = find(policies, 'NetworkPolicy', 'default-deny', namespace);
      t.deepEqual(deny['spec'], { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const dns = find(policies, 'NetworkPolicy', 'allow-dns', namespace)['spec'] as {
        egress: { ports: { port: number; protocol: string }[] }[];
      };
      t.deepEqual(
        dns.egress[0]!.ports.map((x) => `${x.port}/${x.protocol}`),
        ['53/UDP', '53/TCP'],
      );
    }
  });

  test(`${p}: no Secret is generated and no env var carries a literal credential`, (t) => {
    for (const o of all) {
      if (o.kind === 'Secret') t.fail(`Secret ${o.metadata.name} in manifests`);
    }
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        for (const e of c.env ?? []) {
          if (/(PASSWORD|TOKEN|_SECRET|_KEY)$/.test(e.name) && e.value !== undefined) {
            // Only references are allowed: a file path or the name of a Vault key, role or Kubernetes object.
            t.regex(
              e.value,
              /^(\/[\w./-]+|[a-z][a-z0-9-]*)$/,
              `${c.name} ${e.name}=${e.value} looks like a credential`,
            );
          }
        }
      }
    }
    const text = JSON.stringify(all);
    t.notRegex(text, /BEGIN [A-Z ]*PRIVATE KEY|root_token|hvs\.|s\.[A-Za-z0-9]{24}/);
  });

  test(`${p}: dev relaxes readOnlyRootFilesystem only for our live-updated images`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        const expected = !(p === 'dev' && c.image.startsWith('cf/'));
        t.is(c.securityContext?.readOnlyRootFilesystem, expected, `${c.name}`);
      }
    }
  });

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
      VAULT_CONFIG_FILE: '/etc/vault-unsealer/vault-config.json',
      LEASE_NAME: 'vault-unsealer',
      PORT: '8080',
    });
    t.true(c.volumeMounts!.some((m) => m.mountPath === '/etc/vault-unsealer'));
    t.true(w!.pod.automountServiceAccountToken);
    t.is(w!.pod.serviceAccountName, unsealer.name);
  });

  test(`${p}: unsealer RBAC is namespaced and least-privilege`, (t) => {
    t.false(all.some((o) => o.kind === 'ClusterRole'));
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    const rules = (find(all, 'Role', unsealer.name, ns.vault) as K8sObject & { rules: Rule[] }).rules;
    const secretRules = rules.filter((r) => r.resources.includes('secrets'));
    t.deepEqual(
      secretRules.map((r) => ({ verbs: r.verbs, names: r.resourceNames })),
      [
        { verbs: ['create'], names: undefined },
        { verbs: ['get'], names: ['vault-unseal-keys'] },
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

  test(`${p}: PostgreSQL runs ${profile.postgres.instances} instance(s), one database per service, backup only in prod`, (t) => {
    const cluster = find(all, 'Cluster', 'cf-postgres', ns.data)['spec'] as Record<string, unknown>;
    t.is(cluster['instances'], profile.postgres.instances);
    t.false(cluster['enableSuperuserAccess']);
    t.is(cluster['backup'], undefined, 'no barmanObjectStore (deprecated since CloudNativePG 1.26)');
    t.is(cluster['plugins'] !== undefined, p === 'prod');
    t.is(
      all.some((o) => o.kind === 'ScheduledBackup'),
      p === 'prod',
    );
    const databases = all.filter((o) => o.kind === 'Database').map((o) => (o['spec'] as { name: string }).name);
    t.deepEqual(databases.sort(), ['api_gateway', 'integration_service', 'user_service']);
    t.notRegex(JSON.stringify(cluster), /password|accessKeyId|secretAccessKey/i);
  });

  test(`${p}: each service has its ServiceAccount, and Vault clients mount a token with audience vault`, (t) => {
    for (const w of workloads(all.filter((o) => o.metadata.namespace === ns.apps))) {
      const name = w.object.metadata.name;
      t.is(w.pod.serviceAccountName, name);
      t.truthy(find(all, 'ServiceAccount', name, ns.apps));
      const audiences = (w.pod.volumes ?? []).flatMap((v) =>
        (v.projected?.sources ?? []).map((s) => s.serviceAccountToken?.audience),
      );
      t.deepEqual(audiences, name === 'web' ? [] : ['vault'], name);
    }
    t.truthy(find(all, 'StatefulSet', 'integration-service', ns.apps));
    const headless = find(all, 'Service', 'integration-service-headless', ns.apps)['spec'] as Record<string, unknown>;
    t.is(headless['clusterIP'], 'None');
  });

  test(`${p}: the Gateway redirects HTTP to HTTPS and routes / to web and /api to api-gateway`, (t) => {
    const gw = find(all, 'Gateway', 'cf-gateway', ns.apps);
    const listeners = (gw['spec'] as { listeners: { name: string; port: number; hostname: string }[] }).listeners;
    t.deepEqual(
      listeners.map((l) => `${l.name}:${l.port}:${l.hostname}`),
      [`http:80:${profile.host}`, `https:443:${profile.host}`],
    );
    type Route = {
      parentRefs: { sectionName: string }[];
      rules: {
        matches?: { path: { value: string } }[];
        backendRefs?: { name: string }[];
        filters?: { requestRedirect: { scheme: string } }[];
      }[];
    };
    const route = (name: string): Route => find(all, 'HTTPRoute', name, ns.apps)['spec'] as Route;
    t.is(route('https-redirect').parentRefs[0]!.sectionName, 'http');
    t.is(route('https-redirect').rules[0]!.filters![0]!.requestRedirect.scheme, 'https');
    for (const [name, path, backend] of [
      ['web', '/', 'web'],
      ['api', '/api', 'api-gateway'],
    ] as const) {
      t.is(route(name).parentRefs[0]!.sectionName, 'https');
      t.is(route(name).rules[0]!.matches![0]!.path.value, path);
      t.is(route(name).rules[0]!.backendRefs![0]!.name, backend);
    }
  });

  test(`${p}: the Gateway's certificate comes from ${p === 'dev' ? 'a self-signed CA' : 'ACME'}`, (t) => {
    const issuer = find(all, 'Gateway', 'cf-gateway', ns.apps).metadata.annotations?.['cert-manager.io/cluster-issuer'];
    const clusterIssuer = find(all, 'ClusterIssuer', issuer!)['spec'] as Record<
      string,
      { email?: string; secretName?: string }
    >;
    if (p === 'dev') {
      t.is(clusterIssuer['ca']?.secretName, 'cf-dev-ca');
      t.truthy(find(all, 'ClusterIssuer', 'cf-selfsigned'));
      t.true((find(all, 'Certificate', 'cf-dev-ca', 'cert-manager')['spec'] as { isCA: boolean }).isCA);
    } else {
      t.is(clusterIssuer['acme']?.email, 'ops@content-factory.example.com');
      t.false(all.some((o) => o.kind === 'ClusterIssuer' && o.metadata.name === 'cf-dev-ca'));
    }
  });
}
