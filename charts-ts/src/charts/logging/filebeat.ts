import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { fieldEnv, httpGet, resources } from '../../lib/workload.ts';
import { labels, selector } from '../../platform.ts';
import { loggingCertificate, TLS_DIR } from './certificates.ts';
import { clusterFilebeatConfig, FILEBEAT_HTTP_PORT, filebeatProbePaths } from './filebeat-config.ts';
import { logging } from './names.ts';
import type { LoggingSettings } from './settings.ts';

/**
 * Filebeat as a DaemonSet in a namespace of its own: it alone needs the node's log directories (hostPath,
 * read-only) and to read files owned by root, so only its namespace is exempt from Pod Security `restricted`.
 * RBAC: read pods, namespaces and nodes cluster-wide for `add_kubernetes_metadata` — nothing else.
 */
export function filebeat(scope: Construct, settings: LoggingSettings['filebeat']): void {
  const { name, image, version } = logging.filebeat;
  const namespace = logging.shipperNamespace;
  const meta = { name, namespace, labels: labels(name, 'logging', version) };
  new k8s.KubeServiceAccount(scope, 'filebeat-sa', { metadata: meta, automountServiceAccountToken: true });
  new k8s.KubeClusterRole(scope, 'filebeat-role', {
    metadata: { name: 'cf-filebeat', labels: meta.labels },
    rules: [{ apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] }],
  });
  new k8s.KubeClusterRoleBinding(scope, 'filebeat-binding', {
    metadata: { name: 'cf-filebeat', labels: meta.labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cf-filebeat' },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  const logstashHost = `${logging.logstash.name}.${logging.namespace}.svc`;
  new k8s.KubeConfigMap(scope, 'filebeat-config', {
    metadata: { ...meta, name: 'filebeat-config' },
    data: { 'filebeat.yml': JSON.stringify(clusterFilebeatConfig(logstashHost, TLS_DIR), null, 2) },
  });
  // A client certificate and the CA from the logging CA, so Logstash's beats input can verify the shipper.
  loggingCertificate(scope, 'filebeat-tls', namespace, [`${name}.${namespace}.svc`], ['client auth']);
  const hostPath = (volume: string, path: string): k8s.Volume => ({
    name: volume,
    hostPath: { path, type: 'Directory' },
  });
  new k8s.KubeDaemonSet(scope, 'filebeat', {
    metadata: meta,
    spec: {
      selector: { matchLabels: selector(name) },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: { labels: labels(name, 'logging', version) },
        spec: {
          serviceAccountName: name,
          tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name,
              image,
              imagePullPolicy: 'IfNotPresent',
              args: ['-e', '-c', '/etc/filebeat/filebeat.yml', '--strict.perms=false'],
              env: [fieldEnv('NODE_NAME', 'spec.nodeName')],
              ports: [{ name: 'http', containerPort: FILEBEAT_HTTP_PORT }],
              startupProbe: {
                httpGet: httpGet(filebeatProbePaths.live, FILEBEAT_HTTP_PORT),
                periodSeconds: 5,
                failureThreshold: 24,
                timeoutSeconds: 3,
              },
              livenessProbe: {
                httpGet: httpGet(filebeatProbePaths.live, FILEBEAT_HTTP_PORT),
                periodSeconds: 20,
                failureThreshold: 3,
                timeoutSeconds: 3,
              },
              readinessProbe: {
                httpGet: httpGet(filebeatProbePaths.ready, FILEBEAT_HTTP_PORT),
                periodSeconds: 10,
                timeoutSeconds: 3,
              },
              resources: resources(settings.resources),
              // Root, read-only: the kubelet's log files are root-owned 0640. No capabilities, no privilege.
              securityContext: {
                runAsUser: 0,
                runAsNonRoot: false,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/filebeat', readOnly: true },
                { name: 'data', mountPath: '/usr/share/filebeat/data' },
                { name: 'tls', mountPath: TLS_DIR, readOnly: true },
                { name: 'varlogcontainers', mountPath: '/var/log/containers', readOnly: true },
                { name: 'varlogpods', mountPath: '/var/log/pods', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: 'filebeat-config' } },
            // Read offsets survive restarts on the node, so nothing is shipped twice.
            { name: 'data', hostPath: { path: '/var/lib/cf-filebeat', type: 'DirectoryOrCreate' } },
            { name: 'tls', secret: { secretName: 'filebeat-tls' } },
            hostPath('varlogcontainers', '/var/log/containers'),
            hostPath('varlogpods', '/var/log/pods'),
          ],
        },
      },
    },
  });
}
