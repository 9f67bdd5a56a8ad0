import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { trustCertificate } from '../../lib/certificates.ts';
import type { Profile } from '../../profile.ts';
import { alertmanagerStack } from './alertmanager.ts';
import { grafanaStack } from './grafana.ts';
import { kubeStateMetrics } from './kube-state-metrics.ts';
import { kubeletMonitor, podMonitor, prometheusRules } from './monitors.ts';
import { add } from './objects.ts';
import { prometheusOperator } from './operator.ts';
import { prometheusObject, prometheusRbac } from './prometheus.ts';
import { observability } from './settings.ts';
import { namespace } from './stack.ts';
import { scrapeTargets } from './targets.ts';

/**
 * The monitoring stack in cf-observability, kube-prometheus-stack style: prometheus-operator, a Prometheus,
 * an Alertmanager, kube-state-metrics, Grafana, one PodMonitor per scrape target and our PrometheusRules.
 * The prometheus-operator CRDs themselves are installed like the other upstream CRDs (Tiltfile; versions.ts).
 */
export class ObservabilityChart extends Chart {
  constructor(scope: Construct, id: string, profile: Profile) {
    super(scope, id);
    const settings = observability(profile);
    // ca.crt for what verifies Vault's certificate: the Vault agent sidecars and Prometheus scraping Vault.
    trustCertificate(this, namespace);
    prometheusOperator(this);
    prometheusRbac(this);
    add(this, 'prometheus', prometheusObject(profile, settings));
    for (const target of scrapeTargets()) add(this, `podmonitor-${target.job}`, podMonitor(target, settings));
    add(this, 'servicemonitor-kubelet', kubeletMonitor(settings));
    for (const rule of prometheusRules(profile.vault.backup?.everyHours))
      add(this, `rule-${rule.metadata!.name!}`, rule);
    kubeStateMetrics(this);
    alertmanagerStack(this, settings);
    grafanaStack(this, settings);
  }
}
