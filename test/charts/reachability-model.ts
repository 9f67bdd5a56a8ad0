// The reachability model both matrix tests compare with: the documented table of docs/network-model.md and the
// pods it is about (the synthesized workloads plus the actors outside our namespaces). The chart test computes the
// matrix from the generated policies with cyclonus; the e2e test observes it on a real node.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { future, ns, ourNamespaces, postgres } from '../../charts-ts/src/platform.ts';
import { acmeSolverLabels } from '../../charts-ts/src/network.ts';
import type { NetpolPeer } from '../support/charts-tools.ts';
import { workloads, type K8sObject, type Synthesized } from './objects.ts';

/** Rows of the reachability table in docs/network-model.md, expanded to `from → to port/proto` per profile. */
export function documented(profile: string, peers: NetpolPeer[]): Set<string> {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/network-model.md', import.meta.url)), 'utf8');
  const lines = doc.split('\n');
  const header = lines.findIndex((line) => /^\|\s*from\s*\|\s*to\s*\|\s*ports\s*\|\s*profiles\s*\|$/.test(line));
  if (header < 0) throw new Error('docs/network-model.md has no reachability table');
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  const out = new Set<string>();
  const ours = peers.filter((p) => ourNamespaces.includes(p.namespace)).map((p) => p.name);
  for (const [from, to, ports, profiles] of rows) {
    if (
      !profiles!
        .split(',')
        .map((s) => s.trim())
        .includes(profile)
    )
      continue;
    for (const source of from === '*' ? ours : [from!]) {
      for (const port of ports!.split(',')) out.add(`${source} → ${to} ${port.trim()}`);
    }
  }
  return out;
}

const ip = (n: number): string => `10.244.0.${n}`;

/** An address inside a block (the API server's, the alert receivers'): the block itself for a /32, else its second host. */
function apiServerAddress(cidr: string): string {
  const [address, bits] = cidr.split('/') as [string, string];
  if (bits === '32') return address;
  const octets = address.split('.');
  return [...octets.slice(0, 3), String(Number(octets[3]) + 2)].join('.');
}
const app = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': name,
});

/**
 * Pods of the synthesized workloads (labels and ports as generated), CloudNativePG's instance pods (labels the
 * operator sets), the observability and logging workloads a later issue adds, and actors outside our
 * namespaces: the Gateway proxy, the CNPG operator, kube-dns, an unrelated pod, the API server, the internet.
 */
export function peers(s: Synthesized): NetpolPeer[] {
  const nsLabels = (namespace: string): Record<string, string> => ({ 'kubernetes.io/metadata.name': namespace });
  let n = 10;
  const pod = (
    namespace: string,
    name: string,
    labels: Record<string, string>,
    ports: [number, 'TCP' | 'UDP'][],
  ): NetpolPeer => ({
    name: `${namespace}/${name}`,
    namespace,
    namespaceLabels: nsLabels(namespace),
    labels,
    ip: ip(n++),
    ports: ports.map(([port, protocol]) => ({ name: '', port, protocol })),
  });
  // Named by app.kubernetes.io/name: a Job's object name carries a hash of its inputs (logging-setup-<hash>).
  const out: NetpolPeer[] = workloads(s.all).map((w) =>
    pod(
      w.object.metadata.namespace!,
      w.podLabels['app.kubernetes.io/name'] ?? w.object.metadata.name,
      w.podLabels,
      w.pod.containers.flatMap((c) => (c.ports ?? []).map((p) => [p.containerPort, 'TCP'] as [number, 'TCP'])),
    ),
  );
  const cluster = s.all.find((o: K8sObject) => o.kind === 'Cluster')!;
  out.push(
    pod(ns.data, 'postgres', { 'cnpg.io/cluster': cluster.metadata.name, 'cnpg.io/podRole': 'instance' }, [
      [postgres.port, 'TCP'],
      [postgres.statusPort, 'TCP'],
      [postgres.metricsPort, 'TCP'],
    ]),
    pod(ns.apps, 'acme-solver', acmeSolverLabels, [[8089, 'TCP']]),
    pod(ns.observability, 'prometheus', app(future.prometheus.name), [[9090, 'TCP']]),
    pod(ns.observability, 'alertmanager', app(future.alertmanager.name), [[9093, 'TCP']]),
    pod(ns.logging, 'elasticsearch', app(future.elasticsearch.name), [
      [9200, 'TCP'],
      [9300, 'TCP'],
    ]),
    pod(ns.logging, 'logstash', app(future.logstash.name), [[5044, 'TCP']]),
    pod(ns.logging, 'kibana', app(future.kibana.name), [[5601, 'TCP']]),
    pod(ns.logShipper, 'filebeat', app(future.filebeat.name), []),
    pod(ns.observability, 'grafana', app(future.grafana.name), [[3000, 'TCP']]),
    pod('traefik', 'traefik', { 'app.kubernetes.io/name': 'traefik' }, [
      [80, 'TCP'],
      [443, 'TCP'],
    ]),
    pod('cnpg-system', 'cnpg-operator', { 'app.kubernetes.io/name': 'cloudnative-pg' }, [[9443, 'TCP']]),
    pod('kube-system', 'kube-dns', { 'k8s-app': 'kube-dns' }, [
      [53, 'UDP'],
      [53, 'TCP'],
    ]),
    pod('default', 'other', { app: 'other' }, [[8080, 'TCP']]),
    {
      name: 'external/api-server',
      namespace: '',
      namespaceLabels: {},
      labels: {},
      ip: apiServerAddress(s.profile.apiServer.cidrs[0]!),
      ports: [
        { name: '', port: 6443, protocol: 'TCP' },
        { name: '', port: 443, protocol: 'TCP' },
      ],
    },
    // Alertmanager's receivers (paging webhook, SMTP relay): only the profile's blocks, never the internet.
    ...s.profile.alertReceivers.cidrs.slice(0, 1).map((cidr) => ({
      name: 'external/alert-receivers',
      namespace: '',
      namespaceLabels: {},
      labels: {},
      ip: apiServerAddress(cidr),
      ports: s.profile.alertReceivers.ports.map((port) => ({ name: '', port, protocol: 'TCP' as const })),
    })),
    // user-service's SMTP relay (issue 18's account mail): only the profile's blocks, only its port.
    ...s.profile.mailRelay.cidrs.slice(0, 1).map((cidr) => ({
      name: 'external/mail-relay',
      namespace: '',
      namespaceLabels: {},
      labels: {},
      ip: apiServerAddress(cidr),
      ports: [25, 465, s.profile.mailRelay.port].map((port) => ({ name: '', port, protocol: 'TCP' as const })),
    })),
    {
      name: 'external/internet',
      namespace: '',
      namespaceLabels: {},
      labels: {},
      ip: '203.0.113.10',
      ports: [443, 80, 5222].map((port) => ({ name: '', port, protocol: 'TCP' as const })),
    },
  );
  return out;
}
