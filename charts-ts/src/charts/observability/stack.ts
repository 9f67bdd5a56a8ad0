/** Names, images and ports of the monitoring stack in `cf-observability`, shared by its charts and tests. */
import { future, ns } from '../../platform.ts';

export const namespace = ns.observability;

export const operator = {
  name: 'prometheus-operator',
  version: 'v0.85.0',
  image: 'quay.io/prometheus-operator/prometheus-operator:v0.85.0',
  reloaderImage: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.85.0',
  port: 8080,
} as const;

/** The `Prometheus` object's name doubles as its pods' `app.kubernetes.io/instance` label (operator.go). */
export const prometheus = {
  name: future.prometheus.name,
  port: future.prometheus.port,
  version: 'v3.16.0',
  image: 'quay.io/prometheus/prometheus:v3.16.0',
  serviceAccount: 'prometheus',
  /** Label every ServiceMonitor, PodMonitor and PrometheusRule of ours carries; the Prometheus selects on it. */
  selectorLabel: { 'monitoring.content-factory.dev/prometheus': 'prometheus' } as Record<string, string>,
} as const;

export const alertmanager = {
  name: future.alertmanager.name,
  port: future.alertmanager.port,
  clusterPort: 9094,
  version: 'v0.31.1',
  image: 'quay.io/prometheus/alertmanager:v0.31.1',
  serviceAccount: 'alertmanager',
  configSecret: 'alertmanager-config',
} as const;

export const grafana = {
  name: future.grafana.name,
  port: future.grafana.port,
  version: '12.3.1',
  image: 'docker.io/grafana/grafana:12.3.1',
  serviceAccount: 'grafana',
  /** Grafana's own image user (grafana/grafana Dockerfile: uid 472, gid 0). */
  uid: 472,
} as const;

export const kubeStateMetrics = {
  name: 'kube-state-metrics',
  version: 'v2.17.0',
  image: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.17.0',
  port: 8080,
  telemetryPort: 8081,
  uid: 65534,
} as const;

/**
 * The upstream programs this stack runs, each at its own release: their objects carry that release as
 * `app.kubernetes.io/version` (kube-prometheus does the same), and their images are pulled as published.
 */
export const upstreamComponents: readonly { name: string; version: string; images: readonly string[] }[] = [
  { name: operator.name, version: operator.version, images: [operator.image, operator.reloaderImage] },
  { name: prometheus.name, version: prometheus.version, images: [prometheus.image] },
  { name: alertmanager.name, version: alertmanager.version, images: [alertmanager.image] },
  { name: grafana.name, version: grafana.version, images: [grafana.image] },
  { name: kubeStateMetrics.name, version: kubeStateMetrics.version, images: [kubeStateMetrics.image] },
];

/** The OpenBao image runs `bao agent` beside Grafana and Alertmanager to render their secrets from Vault. */
export const vaultAgent = {
  role: { grafana: 'grafana', alertmanager: 'alertmanager' },
  secretsDir: '/vault/secrets',
} as const;

export const cluster = { domain: 'cluster.local' } as const;
