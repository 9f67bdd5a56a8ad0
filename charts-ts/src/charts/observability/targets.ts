/**
 * What Prometheus scrapes, derived from the platform's one registry (platform.ts): every service, Vault,
 * vault-unsealer, CloudNativePG's exporter, cert-manager and the stack itself. Charts turn each target into a
 * PodMonitor; network.ts allows the same flows; tests check that both agree.
 */
import { HTTP_PORT, ns, postgres, selector, services, unsealer, vault } from '../../platform.ts';
import { alertmanager, grafana, kubeStateMetrics, namespace, operator, prometheus } from './stack.ts';

export interface ScrapeTarget {
  /** The `job` label of its series (also the PodMonitor's name). */
  job: string;
  namespace: string;
  /** Label selector of the pods to scrape. */
  pods: Record<string, string>;
  /** Container port name and number (the number is for NetworkPolicies). */
  port: { name: string; number: number };
  path: string;
  params?: Record<string, string[]>;
  /** Scraped over TLS, verified against the internal CA under this name (one of the certificate's DNS names). */
  tlsServerName?: string;
  /** The upstream release the target runs, which its PodMonitor's version label names (kube-prometheus style). */
  version?: string;
  /** Where the target's metric names are defined, for docs and for the "missing metric" report of the tests. */
  source: string;
}

/** cert-manager's controller (its upstream manifest's labels and `http-metrics` port, cert-manager v1.21). */
export const certManager = {
  namespace: 'cert-manager',
  pods: { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'controller' },
  port: 9402,
} as const;

export function scrapeTargets(): ScrapeTarget[] {
  const ours = (name: string): Record<string, string> => selector(name);
  return [
    ...services.map((s) => ({
      job: s.name,
      namespace: ns.apps,
      pods: ours(s.name),
      port: { name: 'http', number: HTTP_PORT },
      path: '/metrics',
      source: s.name === 'web' ? 'services/web' : `services/${s.name} and services/kit/src/http/metrics.ts`,
    })),
    {
      job: unsealer.name,
      namespace: ns.vault,
      pods: ours(unsealer.name),
      port: { name: 'http', number: unsealer.port },
      path: '/metrics',
      source: 'operators/vault-unsealer/src/metrics.ts',
    },
    {
      // Sealed pods are not Ready and drop out of a Service's endpoints; a PodMonitor still scrapes them.
      job: vault.name,
      version: vault.version,
      namespace: ns.vault,
      pods: ours(vault.name),
      // Vault's only listener is TLS (vault-server.ts names its port `https`).
      port: { name: 'https', number: vault.apiPort },
      tlsServerName: `${vault.name}.${ns.vault}.svc`,
      path: '/v1/sys/metrics',
      params: { format: ['prometheus'] },
      source: 'OpenBao telemetry (listener unauthenticated_metrics_access)',
    },
    {
      job: postgres.cluster,
      namespace: ns.data,
      pods: postgres.podLabels,
      port: { name: 'metrics', number: postgres.metricsPort },
      path: '/metrics',
      source: 'CloudNativePG instance exporter (default monitoring queries)',
    },
    {
      job: 'cert-manager',
      namespace: certManager.namespace,
      pods: certManager.pods,
      port: { name: 'http-metrics', number: certManager.port },
      path: '/metrics',
      source: 'cert-manager controller',
    },
    {
      job: kubeStateMetrics.name,
      version: kubeStateMetrics.version,
      namespace,
      pods: ours(kubeStateMetrics.name),
      port: { name: 'http-metrics', number: kubeStateMetrics.port },
      path: '/metrics',
      source: 'kube-state-metrics',
    },
    {
      job: operator.name,
      version: operator.version,
      namespace,
      pods: ours(operator.name),
      port: { name: 'http', number: operator.port },
      path: '/metrics',
      source: 'prometheus-operator',
    },
    {
      job: prometheus.name,
      version: prometheus.version,
      namespace,
      pods: ours(prometheus.name),
      port: { name: 'web', number: prometheus.port },
      path: '/metrics',
      source: 'Prometheus',
    },
    {
      job: alertmanager.name,
      version: alertmanager.version,
      namespace,
      pods: ours(alertmanager.name),
      port: { name: 'web', number: alertmanager.port },
      path: '/metrics',
      source: 'Alertmanager',
    },
    {
      job: grafana.name,
      version: grafana.version,
      namespace,
      pods: ours(grafana.name),
      port: { name: 'http', number: grafana.port },
      path: '/metrics',
      source: 'Grafana',
    },
  ];
}
