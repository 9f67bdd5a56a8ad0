import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, podSecurity, resources } from '../../lib/workload.ts';
import { labels, selector } from '../../platform.ts';
import { loggingCertificate, TLS_DIR } from './certificates.ts';
import { componentEndpoint } from './endpoint.ts';
import { logging } from './names.ts';
import type { LoggingSettings } from './settings.ts';
import { SECRETS_DIR, vaultSecretsInit, type LoggingVaultClient } from './vault-secrets.ts';

/** The elasticsearch image's own user (uid/gid 1000). */
const ES_UID = 1000;
export const ES_HEADLESS = 'elasticsearch-headless';
export const esUrl = `https://${logging.elasticsearch.name}.${logging.namespace}.svc:${logging.elasticsearch.httpPort}`;

export const elasticsearchVault: LoggingVaultClient = {
  role: 'elasticsearch',
  serviceAccount: 'elasticsearch',
  namespace: logging.namespace,
  secrets: ['elastic-password'],
};

/**
 * Elasticsearch as a StatefulSet: security on, TLS on HTTP and transport with the logging CA, the `elastic`
 * password from Vault (`ELASTIC_PASSWORD_FILE`, read by the image's entrypoint), heap and storage by profile.
 * Reachable only by Logstash, Kibana, the setup Job and its peers (network.ts) — and by port-forward.
 */
export function elasticsearch(scope: Construct, settings: LoggingSettings['elasticsearch']): void {
  const { name, httpPort, transportPort, image, version } = logging.elasticsearch;
  const namespace = logging.namespace;
  const meta = componentEndpoint(scope, { name, version }, { name: 'https', number: httpPort });
  new k8s.KubeService(scope, 'elasticsearch-headless', {
    metadata: { ...meta, name: ES_HEADLESS },
    spec: {
      clusterIp: 'None',
      publishNotReadyAddresses: true,
      selector: selector(name),
      ports: [{ name: 'transport', port: transportPort, targetPort: k8s.IntOrString.fromNumber(transportPort) }],
    },
  });
  const pods = Array.from({ length: settings.replicas }, (_, i) => `${name}-${i}`);
  loggingCertificate(scope, 'elasticsearch-tls', namespace, [
    `${name}.${namespace}.svc`,
    name,
    `*.${ES_HEADLESS}.${namespace}.svc`,
    ...pods,
    'localhost',
  ]);
  const secrets = vaultSecretsInit(elasticsearchVault);
  const config = [
    `cluster.name=content-factory`,
    `network.host=0.0.0.0`,
    `xpack.security.enabled=true`,
    `xpack.security.http.ssl.enabled=true`,
    `xpack.security.http.ssl.key=${TLS_DIR}/tls.key`,
    `xpack.security.http.ssl.certificate=${TLS_DIR}/tls.crt`,
    `xpack.security.http.ssl.certificate_authorities=${TLS_DIR}/ca.crt`,
    `xpack.security.transport.ssl.enabled=true`,
    `xpack.security.transport.ssl.verification_mode=full`,
    `xpack.security.transport.ssl.key=${TLS_DIR}/tls.key`,
    `xpack.security.transport.ssl.certificate=${TLS_DIR}/tls.crt`,
    `xpack.security.transport.ssl.certificate_authorities=${TLS_DIR}/ca.crt`,
    settings.replicas === 1 ? 'discovery.type=single-node' : `discovery.seed_hosts=${ES_HEADLESS}`,
    ...(settings.replicas > 1 ? [`cluster.initial_master_nodes=${pods.join(',')}`] : []),
  ];
  const sts = new k8s.KubeStatefulSet(scope, 'elasticsearch', {
    metadata: meta,
    spec: {
      serviceName: ES_HEADLESS,
      replicas: settings.replicas,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector(name) },
      template: {
        metadata: { labels: labels(name, 'logging', version) },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: podSecurity(ES_UID),
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution:
                settings.replicas > 1
                  ? [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector(name) } }]
                  : [],
            },
          },
          initContainers: [secrets.init],
          containers: [
            {
              name,
              image,
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: 'https', containerPort: httpPort },
                { name: 'transport', containerPort: transportPort },
              ],
              env: [
                { name: 'node.name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'ES_JAVA_OPTS', value: `-Xms${settings.heap} -Xmx${settings.heap}` },
                { name: 'ELASTIC_PASSWORD_FILE', value: `${SECRETS_DIR}/elastic-password` },
                ...config.map((line) => {
                  const [key, ...value] = line.split('=');
                  return { name: key ?? '', value: value.join('=') };
                }),
              ],
              resources: resources(settings.resources),
              securityContext: containerSecurity(ES_UID, false),
              // A TCP check: the HTTP API needs credentials, and a red cluster must not be restarted by kubelet.
              livenessProbe: {
                tcpSocket: { port: k8s.IntOrString.fromNumber(transportPort) },
                periodSeconds: 20,
                failureThreshold: 6,
              },
              readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(httpPort) }, periodSeconds: 10 },
              startupProbe: {
                tcpSocket: { port: k8s.IntOrString.fromNumber(httpPort) },
                periodSeconds: 5,
                failureThreshold: 60,
              },
              volumeMounts: [
                { name: 'data', mountPath: '/usr/share/elasticsearch/data' },
                { name: 'tls', mountPath: TLS_DIR, readOnly: true },
                secrets.mount,
              ],
            },
          ],
          volumes: [{ name: 'tls', secret: { secretName: 'elasticsearch-tls' } }, ...secrets.volumes],
        },
      },
    },
  });
  // cdk8s-plus-27 has no volumeClaimTemplates (FACTS.md): added as a patch.
  ApiObject.of(sts).addJsonPatch(
    JsonPatch.add('/spec/volumeClaimTemplates', [
      {
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: settings.storage } } },
      },
    ]),
  );
  if (settings.replicas > 1) {
    new k8s.KubePodDisruptionBudget(scope, 'elasticsearch-pdb', {
      metadata: meta,
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selector(name) },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}
