import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, podSecurity, resources } from '../../lib/workload.ts';
import { labels, selector } from '../../platform.ts';
import { loggingCertificate, TLS_DIR } from './certificates.ts';
import { esUrl } from './elasticsearch.ts';
import { logstashPipeline, renderLogstashPipeline } from './logstash-pipeline.ts';
import { componentEndpoint } from './endpoint.ts';
import { logging } from './names.ts';
import type { LoggingSettings } from './settings.ts';
import { SECRETS_DIR, vaultSecretsInit, type LoggingVaultClient } from './vault-secrets.ts';

const LOGSTASH_UID = 1000;

export const logstashVault: LoggingVaultClient = {
  role: 'logstash',
  serviceAccount: 'logstash',
  namespace: logging.namespace,
  secrets: ['logstash-writer-password'],
};

/** The pipeline file Logstash runs (also what the tests check). */
export function logstashConfig(): string {
  return renderLogstashPipeline(
    logstashPipeline({
      elasticsearchUrl: esUrl,
      tls: { certificate: `${TLS_DIR}/tls.crt`, key: `${TLS_DIR}/tls.key`, ca: `${TLS_DIR}/ca.crt` },
    }),
  );
}

/**
 * Logstash: a beats input over TLS and an output to the `logs-cf-default` data stream through the `cf-logs` ingest
 * pipeline, as the `logstash_writer` user whose password Vault keeps. The parsing lives in Elasticsearch.
 */
export function logstash(scope: Construct, settings: LoggingSettings['logstash']): void {
  const { name, beatsPort, apiPort, image, version } = logging.logstash;
  const namespace = logging.namespace;
  const meta = componentEndpoint(scope, { name, version }, { name: 'beats', number: beatsPort });
  new k8s.KubeConfigMap(scope, 'logstash-pipeline', {
    metadata: { ...meta, name: 'logstash-pipeline' },
    data: { 'cf.conf': logstashConfig() },
  });
  loggingCertificate(scope, 'logstash-tls', namespace, [`${name}.${namespace}.svc`, name]);
  const secrets = vaultSecretsInit(logstashVault);
  new k8s.KubeDeployment(scope, 'logstash', {
    metadata: meta,
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels: selector(name) },
      template: {
        metadata: { labels: labels(name, 'logging', version) },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: podSecurity(LOGSTASH_UID),
          initContainers: [secrets.init],
          containers: [
            {
              name,
              image,
              imagePullPolicy: 'IfNotPresent',
              // Logstash resolves ${VAR} in pipeline files from its environment: the password is read from the
              // Vault-filled file into the environment of this process only.
              command: [
                '/bin/sh',
                '-c',
                `ELASTICSEARCH_PASSWORD="$(cat ${SECRETS_DIR}/logstash-writer-password)" exec /usr/share/logstash/bin/logstash -f /usr/share/logstash/pipeline/cf.conf`,
              ],
              env: [
                { name: 'ELASTICSEARCH_USERNAME', value: 'logstash_writer' },
                { name: 'LS_JAVA_OPTS', value: `-Xms${settings.heap} -Xmx${settings.heap}` },
                { name: 'XPACK_MONITORING_ENABLED', value: 'false' },
                { name: 'API_HTTP_HOST', value: '0.0.0.0' },
              ],
              ports: [
                { name: 'beats', containerPort: beatsPort },
                { name: 'api', containerPort: apiPort },
              ],
              resources: resources(settings.resources),
              securityContext: containerSecurity(LOGSTASH_UID, false),
              readinessProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(beatsPort) }, periodSeconds: 10 },
              livenessProbe: {
                httpGet: { path: '/', port: k8s.IntOrString.fromNumber(apiPort) },
                periodSeconds: 20,
                failureThreshold: 6,
              },
              startupProbe: {
                httpGet: { path: '/', port: k8s.IntOrString.fromNumber(apiPort) },
                periodSeconds: 5,
                failureThreshold: 60,
              },
              volumeMounts: [
                { name: 'pipeline', mountPath: '/usr/share/logstash/pipeline', readOnly: true },
                { name: 'tls', mountPath: TLS_DIR, readOnly: true },
                secrets.mount,
              ],
            },
          ],
          volumes: [
            { name: 'pipeline', configMap: { name: 'logstash-pipeline' } },
            { name: 'tls', secret: { secretName: 'logstash-tls' } },
            ...secrets.volumes,
          ],
        },
      },
    },
  });
}
