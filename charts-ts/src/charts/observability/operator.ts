import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, resources } from '../../lib/workload.ts';
import { singleReplica, upstreamProbes } from './objects.ts';
import { labels } from '../../platform.ts';
import { clusterRole, namespacedRole, read } from './rbac.ts';
import { namespace, operator } from './stack.ts';

/** nobody: the upstream image's user (prometheus-operator Dockerfile `USER nobody`). */
const NOBODY = 65534;

/** The headless Service whose endpoints the operator keeps equal to the nodes' kubelets (`--kubelet-service`). */
export const kubeletService = 'kubelet';

/**
 * prometheus-operator watching only cf-observability (`--namespaces`): every Prometheus, Alertmanager,
 * PodMonitor and PrometheusRule of ours lives there, and so does the kubelet Service it maintains (upstream's
 * kube-system is only its example; any namespace works), so its rights are a Role there and read access to
 * namespaces, nodes and storage classes. The rules follow upstream example/rbac/prometheus-operator, narrowed.
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
    // The kubelet Service and its EndpointSlices (`--kubelet-service`), kept in our namespace too.
    {
      apiGroups: ['discovery.k8s.io'],
      resources: ['endpointslices'],
      verbs: ['get', 'list', 'create', 'update', 'delete'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ]);
  singleReplica(scope, 'operator', {
    name: operator.name,
    namespace,
    labels: l,
    uid: NOBODY,
    container: {
      name: 'operator',
      image: operator.image,
      args: [
        `--namespaces=${namespace}`,
        `--kubelet-service=${namespace}/${kubeletService}`,
        '--kubelet-endpointslice=true',
        '--kubelet-endpoints=false',
        `--prometheus-config-reloader=${operator.reloaderImage}`,
        '--log-format=json',
      ],
      ports: [{ name: 'http', containerPort: operator.port }],
      // The operator serves only /healthz and /metrics (cmd/operator/main.go, v0.85); being scrapable is
      // the one thing its Service offers, so readiness asks for /metrics.
      ...upstreamProbes({ path: '/healthz', port: 'http' }, { path: '/metrics', port: 'http' }),
      securityContext: containerSecurity(NOBODY, true),
      resources: resources({
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { cpu: '200m', memory: '256Mi' },
      }),
    },
  });
}
