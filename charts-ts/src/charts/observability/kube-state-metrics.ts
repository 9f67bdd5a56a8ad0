import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, podSecurity, resources } from '../../lib/workload.ts';
import { upstreamProbes } from './objects.ts';
import { labels, ourNamespaces, selector } from '../../platform.ts';
import { namespacedRole } from './rbac.ts';
import { kubeStateMetrics as ksm, namespace } from './stack.ts';

/** The object kinds our alerts and dashboards read (pods: restarts and CrashLoopBackOff; PVCs; workloads). */
const RESOURCES = ['pods', 'persistentvolumeclaims', 'deployments', 'statefulsets', 'cronjobs'];

/**
 * kube-state-metrics limited to our namespaces (`--namespaces`), so Roles in those namespaces suffice.
 * Source of `kube_pod_container_status_waiting_reason` (PodCrashLooping).
 */
export function kubeStateMetrics(scope: Construct): void {
  const l = labels(ksm.name, 'exporter', ksm.version);
  new k8s.KubeServiceAccount(scope, 'ksm-sa', { metadata: { name: ksm.name, namespace, labels: l } });
  for (const ns of ourNamespaces) {
    namespacedRole(
      scope,
      `ksm-${ns}`,
      { name: ksm.name, namespace: ns, labels: l, subject: { name: ksm.name, namespace } },
      [
        { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['list', 'watch'] },
        // The Vault backup CronJob's last successful run (the VaultBackupTooOld alert).
        { apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['list', 'watch'] },
      ],
    );
  }
  new k8s.KubeDeployment(scope, 'ksm', {
    metadata: { name: ksm.name, namespace, labels: l },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector(ksm.name) },
      template: {
        metadata: { labels: l },
        spec: {
          serviceAccountName: ksm.name,
          securityContext: podSecurity(ksm.uid),
          containers: [
            {
              name: 'kube-state-metrics',
              image: ksm.image,
              args: [
                `--namespaces=${ourNamespaces.join(',')}`,
                `--resources=${RESOURCES.join(',')}`,
                `--port=${ksm.port}`,
                `--telemetry-port=${ksm.telemetryPort}`,
              ],
              ports: [
                { name: 'http-metrics', containerPort: ksm.port },
                { name: 'telemetry', containerPort: ksm.telemetryPort },
              ],
              ...upstreamProbes({ path: '/livez', port: 'http-metrics' }, { path: '/readyz', port: 'telemetry' }),
              securityContext: containerSecurity(ksm.uid, true),
              resources: resources({
                requests: { cpu: '20m', memory: '64Mi' },
                limits: { cpu: '200m', memory: '128Mi' },
              }),
            },
          ],
        },
      },
    },
  });
}
