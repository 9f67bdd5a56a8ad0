import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { httpGet } from '../../lib/workload.ts';
import { loggingCertificate, TLS_DIR } from './certificates.ts';
import { esUrl } from './elasticsearch.ts';
import { logstashPipeline, renderLogstashPipeline } from './logstash-pipeline.ts';
import { componentEndpoint } from './endpoint.ts';
import { logging } from './names.ts';
import { loggingDeployment } from './pod.ts';
import type { LoggingSettings } from './settings.ts';
import { SECRETS_DIR, vaultSecretsInit, type LoggingVaultClient } from './vault-secrets.ts';
import { writableDir } from './writable.ts';

const LOGSTASH_UID = 1000;
const LOGSTASH_HOME = '/usr/share/logstash';
/** Liveness: the API answers (`GET /`, node info). Readiness: the health report of its pipelines (Logstash ≥ 8.16). */
export const logstashProbePaths = { live: '/', ready: '/_health_report' } as const;

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
 * The root filesystem is read-only; Logstash writes its data directory (uuid, queues), logs and JRuby's temp files
 * (path.data, path.logs: elastic.co/guide/en/logstash/8.19/dir-layout.html) into emptyDirs. The command bypasses
 * the image's entrypoint (which would rewrite config/logstash.yml from the environment), so settings are flags.
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
  const writable = [
    writableDir('data', `${LOGSTASH_HOME}/data`, '128Mi'),
    writableDir('logs', `${LOGSTASH_HOME}/logs`, '64Mi'),
    writableDir('tmp', '/tmp', '64Mi'),
  ];
  loggingDeployment(scope, meta, settings, {
    name,
    version,
    image,
    uid: LOGSTASH_UID,
    secrets,
    writable,
    container: {
      // Logstash resolves ${VAR} in pipeline files from its environment: the password is read from the
      // Vault-filled file into the environment of this process only.
      command: [
        '/bin/sh',
        '-c',
        `ELASTICSEARCH_PASSWORD="$(cat ${SECRETS_DIR}/logstash-writer-password)" exec ${LOGSTASH_HOME}/bin/logstash -f ${LOGSTASH_HOME}/pipeline/cf.conf --api.http.host 0.0.0.0 --path.data ${LOGSTASH_HOME}/data --path.logs ${LOGSTASH_HOME}/logs`,
      ],
      env: [
        { name: 'ELASTICSEARCH_USERNAME', value: 'logstash_writer' },
        { name: 'LS_JAVA_OPTS', value: `-Xms${settings.heap} -Xmx${settings.heap} -Djava.io.tmpdir=/tmp` },
      ],
      ports: [
        { name: 'beats', containerPort: beatsPort },
        { name: 'api', containerPort: apiPort },
      ],
    },
    probes: { live: httpGet(logstashProbePaths.live, apiPort), ready: httpGet(logstashProbePaths.ready, apiPort) },
    mounts: [
      { name: 'pipeline', mountPath: `${LOGSTASH_HOME}/pipeline`, readOnly: true },
      { name: 'tls', mountPath: TLS_DIR, readOnly: true },
    ],
    volumes: [
      { name: 'pipeline', configMap: { name: 'logstash-pipeline' } },
      { name: 'tls', secret: { secretName: 'logstash-tls' } },
    ],
  });
}
