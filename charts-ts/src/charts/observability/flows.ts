/**
 * The monitoring stack's network flows, derived from the scrape targets (targets.ts) so policies and
 * PodMonitors never disagree. network.ts adds these to the platform's flows.
 */
import type { Flow, Peer, PortSpec } from '../../network.ts';
import { future, ns, selector, vault } from '../../platform.ts';
import type { Profile } from '../../profile.ts';
import { alertmanager, grafana, kubeStateMetrics, namespace, operator, prometheus } from './stack.ts';
import { scrapeTargets } from './targets.ts';

const tcp = (...ports: number[]): PortSpec[] => ports.map((port) => ({ port, protocol: 'TCP' as const }));
const app = (namespaceName: string, name: string): Peer => ({
  kind: 'pods',
  namespace: namespaceName,
  pods: selector(name),
});
/** Kubelets listen on every node's address; nodes share the API server's address block in our profiles. */
const KUBELET_PORT = 10250;

export function observabilityFlows(profile: Profile): Flow[] {
  const prom = app(namespace, prometheus.name);
  const am = app(namespace, alertmanager.name);
  const graf = app(namespace, grafana.name);
  const apiServers: Peer[] = profile.apiServer.cidrs.map((cidr) => ({ kind: 'cidr', cidr, except: [] }));
  const out: Flow[] = scrapeTargets()
    .filter((t) => !(t.namespace === namespace && t.job === prometheus.name))
    .map((t) => ({
      name: `prometheus-to-${t.job}`,
      from: prom,
      to: { kind: 'pods', namespace: t.namespace, pods: t.pods },
      ports: tcp(t.port.number),
    }));
  const add = (name: string, from: Peer, to: Peer, ports: PortSpec[]): void => {
    out.push({ name, from, to, ports });
  };
  // Scraping Alertmanager's port is also how Prometheus notifies it (prometheus-to-alertmanager above).
  add('prometheus-peers', prom, prom, tcp(prometheus.port));
  apiServers.forEach((apiServer, i) => {
    const suffix = i === 0 ? '' : `-${i + 1}`;
    add(`prometheus-to-api-server${suffix}`, prom, apiServer, tcp(...profile.apiServer.ports));
    add(`prometheus-to-kubelet${suffix}`, prom, apiServer, tcp(KUBELET_PORT));
    add(`operator-to-api-server${suffix}`, app(namespace, operator.name), apiServer, tcp(...profile.apiServer.ports));
    add(
      `kube-state-metrics-to-api-server${suffix}`,
      app(namespace, kubeStateMetrics.name),
      apiServer,
      tcp(...profile.apiServer.ports),
    );
  });
  add('grafana-to-prometheus', graf, prom, tcp(prometheus.port));
  add('grafana-to-alertmanager', graf, am, tcp(alertmanager.port));
  add('grafana-to-elasticsearch', graf, app(ns.logging, future.elasticsearch.name), tcp(future.elasticsearch.port));
  add('grafana-to-vault', graf, app(ns.vault, vault.name), tcp(vault.apiPort));
  add('alertmanager-to-vault', am, app(ns.vault, vault.name), tcp(vault.apiPort));
  if (profile.name === 'prod') {
    add('alertmanager-peers', am, am, [
      { port: alertmanager.clusterPort, protocol: 'TCP' },
      { port: alertmanager.clusterPort, protocol: 'UDP' },
    ]);
  }
  // Only to the receivers the profile names (webhook and SMTP relay blocks), never the whole internet.
  profile.alertReceivers.cidrs.forEach((cidr, i) => {
    const suffix = i === 0 ? '' : `-${i + 1}`;
    add(
      `alertmanager-to-receivers${suffix}`,
      am,
      { kind: 'cidr', cidr, except: [] },
      tcp(...profile.alertReceivers.ports),
    );
  });
  return out;
}
