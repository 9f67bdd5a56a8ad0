import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { disruptionBudget, requireSeparateNodes } from '../../lib/availability.ts';
import { containerSecurity, httpGet, resources } from '../../lib/workload.ts';
import { selector } from '../../platform.ts';
import { loggingCertificate, TLS_DIR } from './certificates.ts';
import { componentEndpoint } from './endpoint.ts';
import { logging } from './names.ts';
import { loggingPod } from './pod.ts';
import type { LoggingSettings } from './settings.ts';
import { SECRETS_DIR, vaultSecretsInit, type LoggingVaultClient } from './vault-secrets.ts';
import { writableDir } from './writable.ts';

/** The elasticsearch image's own user (uid/gid 1000). */
const ES_UID = 1000;
const ES_HOME = '/usr/share/elasticsearch';
export const ES_HEADLESS = 'elasticsearch-headless';
export const esUrl = `https://${logging.elasticsearch.name}.${logging.namespace}.svc:${logging.elasticsearch.httpPort}`;

export const elasticsearchVault: LoggingVaultClient = {
  role: 'elasticsearch',
  serviceAccount: 'elasticsearch',
  namespace: logging.namespace,
  secrets: ['elastic-password'],
};

/**
 * The kubelet's probes carry no credentials, and every Elasticsearch endpoint wants some once security is on. So
 * requests without credentials run as an anonymous user whose only role may call cluster health
 * (cluster:monitor/health) — no index, no setting, no user
 * (elastic.co/guide/en/elasticsearch/reference/8.19/anonymous-access.html). `authz_exception: false` keeps the
 * 401 challenge for everything else, so clients that log in after a challenge still do. The role is a file-realm
 * role (roles.yml), there before the first request; test/logging/probe-access.test.ts runs it on a real node.
 */
export const PROBE_ROLE = 'cf_probe';
export const probeRoles = { [PROBE_ROLE]: { cluster: ['cluster:monitor/health'] } };
export const anonymousProbeSettings: readonly string[] = [
  `xpack.security.authc.anonymous.username=${PROBE_ROLE}`,
  `xpack.security.authc.anonymous.roles=${PROBE_ROLE}`,
  'xpack.security.authc.anonymous.authz_exception=false',
];
/**
 * Liveness: the node answers from its own cluster state (`local=true`: no master needed). Readiness: it belongs to
 * a cluster with an elected master (503 after `master_timeout` otherwise).
 */
export const esProbePaths = {
  live: '/_cluster/health?local=true',
  ready: '/_cluster/health?master_timeout=2s',
} as const;

/**
 * Elasticsearch as a StatefulSet: security on, TLS on HTTP and transport with the logging CA, the `elastic`
 * password from Vault (`ELASTIC_PASSWORD_FILE`, read by the image's entrypoint), heap and storage by profile.
 * Reachable only by Logstash, Kibana, the setup Job and its peers (network.ts) — and by port-forward.
 * The root filesystem is read-only: the image's config directory is copied into an emptyDir (the entrypoint writes
 * the keystore there), and logs and the JVM's temp directory get emptyDirs (writable.ts).
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
  new k8s.KubeConfigMap(scope, 'elasticsearch-roles', {
    metadata: { ...meta, name: 'elasticsearch-roles' },
    // YAML is a superset of JSON.
    data: { 'roles.yml': JSON.stringify(probeRoles) },
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
    ...anonymousProbeSettings,
    settings.replicas === 1 ? 'discovery.type=single-node' : `discovery.seed_hosts=${ES_HEADLESS}`,
    ...(settings.replicas > 1 ? [`cluster.initial_master_nodes=${pods.join(',')}`] : []),
  ];
  const writable = [
    writableDir('config', `${ES_HOME}/config`, '16Mi'),
    writableDir('logs', `${ES_HOME}/logs`, '64Mi'),
    writableDir('tmp', '/tmp', '64Mi'),
  ];
  const probe = (path: string): k8s.HttpGetAction => ({ ...httpGet(path, httpPort), scheme: 'HTTPS' });
  new k8s.KubeStatefulSet(scope, 'elasticsearch', {
    metadata: meta,
    spec: {
      serviceName: ES_HEADLESS,
      replicas: settings.replicas,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selector(name) },
      template: loggingPod({
        name,
        version,
        image,
        uid: ES_UID,
        resources: settings.resources,
        // Master-eligible nodes: two on one node would lose the quorum together (as Vault's raft voters).
        placement: settings.replicas > 1 ? { affinity: requireSeparateNodes(selector(name)) } : {},
        secrets,
        writable,
        initContainers: [
          {
            // The image's config directory (elasticsearch.yml, jvm.options, log4j2) plus the probe role.
            name: 'config',
            image,
            imagePullPolicy: 'IfNotPresent',
            command: [
              '/bin/sh',
              '-c',
              `cp -a ${ES_HOME}/config/. /mnt/config/ && cp /mnt/roles/roles.yml /mnt/config/`,
            ],
            resources: resources({
              requests: { cpu: '10m', memory: '16Mi' },
              limits: { cpu: '100m', memory: '64Mi' },
            }),
            securityContext: containerSecurity(ES_UID, true),
            volumeMounts: [
              { name: 'config', mountPath: '/mnt/config' },
              { name: 'roles', mountPath: '/mnt/roles', readOnly: true },
            ],
          },
        ],
        container: {
          ports: [
            { name: 'https', containerPort: httpPort },
            { name: 'transport', containerPort: transportPort },
          ],
          env: [
            { name: 'node.name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            // GC logs off: the image writes up to 32 × 64 MB of them under logs/ (jvm.options), which would
            // fill the emptyDir; warnings still go to stderr.
            {
              name: 'ES_JAVA_OPTS',
              value: `-Xms${settings.heap} -Xmx${settings.heap} -Xlog:disable -Xlog:all=warning:stderr`,
            },
            { name: 'ELASTIC_PASSWORD_FILE', value: `${SECRETS_DIR}/elastic-password` },
            ...config.map((line) => {
              const [key, ...value] = line.split('=');
              return { name: key ?? '', value: value.join('=') };
            }),
          ],
        },
        // A red cluster is not restarted by the kubelet: liveness asks only whether the node answers.
        probes: { live: probe(esProbePaths.live), ready: probe(esProbePaths.ready) },
        mounts: [
          { name: 'data', mountPath: `${ES_HOME}/data` },
          { name: 'tls', mountPath: TLS_DIR, readOnly: true },
        ],
        volumes: [
          { name: 'tls', secret: { secretName: 'elasticsearch-tls' } },
          { name: 'roles', configMap: { name: 'elasticsearch-roles' } },
        ],
      }),
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: selector(name) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: k8s.Quantity.fromString(settings.storage) } },
          },
        },
      ],
    },
  });
  if (settings.replicas > 1) {
    disruptionBudget(scope, 'elasticsearch-pdb', meta, selector(name), { maxUnavailable: 1 });
  }
}
