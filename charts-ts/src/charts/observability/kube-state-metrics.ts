import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, resources } from '../../lib/workload.ts';
import { singleReplica, upstreamProbes } from './objects.ts';
import { labels, ourNamespaces } from '../../platform.ts';
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
  singleReplica(scope, 'ksm', {
    name: ksm.name,
    namespace,
    labels: l,
    uid: ksm.uid,
    container: {
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
  });
}
