import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, httpGet, podSecurity, resources } from '../../lib/workload.ts';
import { labels, selector } from '../../platform.ts';
import { clusterRole, namespacedRole, read } from './rbac.ts';
import { namespace, operator } from './stack.ts';

/** nobody: the upstream image's user (prometheus-operator Dockerfile `USER nobody`). */
const NOBODY = 65534;

/**
 * prometheus-operator watching only cf-observability (`--namespaces`): every Prometheus, Alertmanager,
 * PodMonitor and PrometheusRule of ours lives there, so its rights are a Role there, a Role in kube-system for
 * the kubelet Service it maintains, and read access to namespaces, nodes and storage classes.
 * The rules follow upstream example/rbac/prometheus-operator, narrowed to those namespaces.
 */
export function prometheusOperator(scope: Construct): void {
  const l = labels(operator.name, 'controller', operator.version);
  const subject = { name: operator.name, namespace };
  new k8s.KubeServiceAccount(scope, 'operator-sa', {
    metadata: { name: operator.name, namespace, labels: l },
    automountServiceAccountToken: true,
  });
  clusterRole(scope, 'operator', { name: operator.name, labels: l, subject }, [
    { apiGroups: [''], resources: ['namespaces'], verbs: read },
    { apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] },
    { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get'] },
  ]);
  namespacedRole(scope, 'operator', { name: operator.name, namespace, labels: l, subject }, [
    {
      apiGroups: ['monitoring.coreos.com'],
      resources: [
        'alertmanagers',
        'alertmanagers/finalizers',
        'alertmanagers/status',
        'alertmanagerconfigs',
        'prometheuses',
        'prometheuses/finalizers',
        'prometheuses/status',
        'podmonitors',
        'podmonitors/status',
        'servicemonitors',
        'servicemonitors/status',
        'prometheusrules',
        'prometheusrules/status',
        'probes',
        'scrapeconfigs',
      ],
      verbs: ['*'],
    },
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['*'] },
    { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['*'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] },
    { apiGroups: [''], resources: ['services', 'services/finalizers'], verbs: ['get', 'create', 'update', 'delete'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ]);
  namespacedRole(
    scope,
    'operator-kubelet',
    { name: `${operator.name}-kubelet`, namespace: 'kube-system', labels: l, subject },
    [
      { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'create', 'update', 'delete'] },
      {
        apiGroups: ['discovery.k8s.io'],
        resources: ['endpointslices'],
        verbs: ['get', 'list', 'create', 'update', 'delete'],
      },
    ],
  );
  new k8s.KubeDeployment(scope, 'operator', {
    metadata: { name: operator.name, namespace, labels: l },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector(operator.name) },
      template: {
        metadata: { labels: l },
        spec: {
          serviceAccountName: operator.name,
          securityContext: podSecurity(NOBODY),
          containers: [
            {
              name: 'operator',
              image: operator.image,
              args: [
                `--namespaces=${namespace}`,
                '--kubelet-service=kube-system/kubelet',
                '--kubelet-endpointslice=true',
                '--kubelet-endpoints=false',
                `--prometheus-config-reloader=${operator.reloaderImage}`,
                '--log-format=json',
              ],
              ports: [{ name: 'http', containerPort: operator.port }],
              readinessProbe: { httpGet: httpGet('/healthz', 'http'), periodSeconds: 10 },
              livenessProbe: { httpGet: httpGet('/healthz', 'http'), periodSeconds: 20 },
              securityContext: containerSecurity(NOBODY, true),
              resources: resources({
                requests: { cpu: '50m', memory: '64Mi' },
                limits: { cpu: '200m', memory: '256Mi' },
              }),
            },
          ],
        },
      },
    },
  });
}
