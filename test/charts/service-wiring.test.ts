import test from 'ava';
import { ns } from '../../charts-ts/src/platform.ts';
import { both, find, workloads } from './objects.ts';

// What the services are wired to in both profiles: their PostgreSQL, their Vault identities and the Gateway.
for (const { profile, all } of both) {
  const p = profile.name;

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
