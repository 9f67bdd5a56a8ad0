import type { IPrometheus } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { labels } from '../../platform.ts';
import type { Profile } from '../../profile.ts';
import { volumeClaim } from './objects.ts';
import { clusterRole, namespacedRole, read } from './rbac.ts';
import { restrictedPod } from './vault-agent.ts';
import type { ObservabilitySettings } from './settings.ts';
import { alertmanager, namespace, prometheus } from './stack.ts';
import { scrapeTargets } from './targets.ts';

/** nobody, as in the upstream Prometheus image. */
const PROMETHEUS_UID = 65534;
const ownNamespace = { matchLabels: { 'kubernetes.io/metadata.name': namespace } };

/**
 * The `Prometheus` object. It selects only our monitors and rules (by label, in cf-observability), keeps
 * `retention`/`retentionSize` of the profile on a PVC and notifies the Alertmanager through the operator's
 * `alertmanager-operated` Service.
 */
export function prometheusObject(profile: Profile, settings: ObservabilitySettings): IPrometheus {
  const s = settings.prometheus;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Prometheus',
    metadata: { name: prometheus.name, namespace, labels: labels(prometheus.name, 'server', prometheus.version) },
    spec: {
      replicas: s.replicas,
      version: prometheus.version,
      image: prometheus.image,
      serviceAccountName: prometheus.serviceAccount,
      retention: s.retention,
      retentionSize: s.retentionSize,
      scrapeInterval: settings.scrapeInterval,
      evaluationInterval: settings.scrapeInterval,
      externalLabels: { cluster: profile.name },
      podMonitorSelector: { matchLabels: prometheus.selectorLabel },
      podMonitorNamespaceSelector: ownNamespace,
      serviceMonitorSelector: { matchLabels: prometheus.selectorLabel },
      serviceMonitorNamespaceSelector: ownNamespace,
      ruleSelector: { matchLabels: prometheus.selectorLabel },
      ruleNamespaceSelector: ownNamespace,
      alerting: {
        alertmanagers: [{ namespace, name: `${alertmanager.name}-operated`, port: 'web', apiVersion: 'v2' }],
      },
      // Allowed because the kubelet ServiceMonitor authenticates with the pod's own token file (monitors.ts);
      // every ServiceMonitor and PodMonitor is ours (selected by label in our namespace only).
      arbitraryFSAccessThroughSMs: { deny: false },
      podMetadata: { labels: labels(prometheus.name, 'server', prometheus.version) },
      securityContext: restrictedPod(PROMETHEUS_UID),
      resources: s.resources,
      storage: { volumeClaimTemplate: volumeClaim('prometheus-db', s.storage) },
    },
  };
}

/**
 * Prometheus' own rights: discovery (pods) in each namespace it scrapes, nothing else; plus `nodes/metrics`
 * for the kubelet's volume statistics, which the kubelet authorizes with a SubjectAccessReview.
 */
export function prometheusRbac(scope: Construct): void {
  const l = labels(prometheus.name, 'server', prometheus.version);
  const subject = { name: prometheus.serviceAccount, namespace };
  new k8s.KubeServiceAccount(scope, 'prometheus-sa', {
    metadata: { name: prometheus.serviceAccount, namespace, labels: l },
  });
  const scraped = [...new Set(scrapeTargets().map((t) => t.namespace))].sort();
  for (const ns of scraped) {
    namespacedRole(scope, `prometheus-${ns}`, { name: prometheus.name, namespace: ns, labels: l, subject }, [
      { apiGroups: [''], resources: ['pods', 'services', 'endpoints'], verbs: read },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: read },
    ]);
  }
  clusterRole(scope, 'prometheus', { name: `${prometheus.name}-kubelet`, labels: l, subject }, [
    { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
  ]);
}
