import type { IPodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { internalCa, labels } from '../../platform.ts';
import { ruleSets } from './rules/index.ts';
import type { ObservabilitySettings } from './settings.ts';
import { namespace, prometheus } from './stack.ts';
import type { ScrapeTarget } from './targets.ts';

const meta = (name: string, component: string, version?: string): IPodMonitor['metadata'] => ({
  name,
  namespace,
  labels: { ...labels(name, component, version), ...prometheus.selectorLabel },
});

/**
 * One PodMonitor per scrape target, all kept in cf-observability (the operator then needs no rights elsewhere).
 * PodMonitors, not ServiceMonitors: a sealed Vault pod is not Ready and leaves its Service's endpoints, yet it
 * is exactly the pod whose metrics matter. The `job` label is the target's name.
 */
export function podMonitor(target: ScrapeTarget, settings: ObservabilitySettings): IPodMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: meta(target.job, 'monitoring', target.version),
    spec: {
      selector: { matchLabels: target.pods },
      namespaceSelector: { matchNames: [target.namespace] },
      podMetricsEndpoints: [
        {
          port: target.port.name,
          path: target.path,
          interval: settings.scrapeInterval,
          ...(target.params !== undefined ? { params: target.params } : {}),
          ...(target.tlsServerName !== undefined
            ? {
                scheme: 'https',
                tlsConfig: {
                  ca: { secret: { name: internalCa.trustSecret, key: internalCa.file } },
                  serverName: target.tlsServerName,
                },
              }
            : {}),
          relabelings: [{ action: 'replace', targetLabel: 'job', replacement: target.job }],
        },
      ],
    },
  };
}

/**
 * The kubelet's volume statistics (`kubelet_volume_stats_*`, for PVCAlmostFull) through the Service the
 * operator maintains for kubelets in our namespace (`--kubelet-service`, operator.ts), as kube-prometheus does.
 */
export function kubeletMonitor(settings: ObservabilitySettings): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: meta('kubelet', 'monitoring'),
    spec: {
      jobLabel: 'app.kubernetes.io/name',
      selector: { matchLabels: { 'app.kubernetes.io/name': 'kubelet' } },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [
        {
          port: 'https-metrics',
          scheme: 'https',
          interval: settings.scrapeInterval,
          // Kind's kubelets serve self-signed certificates; the token proves who we are, the NetworkPolicy where.
          tlsConfig: { insecureSkipVerify: true },
          bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
          metricRelabelings: [{ action: 'keep', sourceLabels: ['__name__'], regex: 'kubelet_volume_stats_.*' }],
        },
      ],
    },
  };
}

export function prometheusRules(backupEveryHours: number | undefined): IPrometheusRule[] {
  return Object.entries(ruleSets(backupEveryHours)).map(([name, groups]) => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: meta(`${name}-rules`, 'rules'),
    spec: { groups },
  }));
}
