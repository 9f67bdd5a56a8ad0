import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { containerSecurity, podSecurity, resources } from '../../lib/workload.ts';
import { labels } from '../../platform.ts';
import { esUrl } from './elasticsearch.ts';
import { indexTemplate } from './index-template.ts';
import { ingestPipeline } from './ingest-pipeline.ts';
import { savedObjectsNdjson } from './kibana-objects.ts';
import { logging } from './names.ts';
import { SECRETS_DIR, vaultSecretsInit, type LoggingVaultClient } from './vault-secrets.ts';

export const setupVault: LoggingVaultClient = {
  role: 'logging-setup',
  serviceAccount: 'logging-setup',
  namespace: logging.namespace,
  secrets: ['elastic-password', 'kibana-system-password', 'logstash-writer-password'],
};

/** Least privilege for Logstash: append documents to `logs-cf-*` data streams, nothing else. */
export const logstashWriterRole = {
  cluster: ['monitor'],
  indices: [{ names: [logging.pattern], privileges: ['create_doc', 'auto_configure'] }],
};

const kibanaUrl = `https://${logging.kibana.name}.${logging.namespace}.svc:${logging.kibana.port}`;

// Idempotent from top to bottom: PUTs replace, the import overwrites by id, passwords are set to Vault's values.
// Secrets are read from files into curl's arguments inside this shell only; curl's -o keeps bodies off the log.
const SCRIPT = `set -eu
ca=/run/cf-tls/ca.crt
es() { curl -fsS --connect-timeout 5 --max-time 60 --cacert "$ca" -u "elastic:$(cat ${SECRETS_DIR}/elastic-password)" -H 'content-type: application/json' -o /dev/null "$@"; }
# Bounded waits (60 × ≈ 5–15 s); the Job's activeDeadlineSeconds bounds the whole run, retries included.
wait_for() { i=0; until "$@"; do i=$((i+1)); [ "$i" -lt 60 ] || { echo "gave up waiting for $*" >&2; exit 1; }; sleep 5; done; }
wait_for es "${esUrl}/_cluster/health?wait_for_status=yellow&timeout=10s"
printf '{"password":"%s"}' "$(cat ${SECRETS_DIR}/kibana-system-password)" > /tmp/kibana-system.json
es -X POST "${esUrl}/_security/user/kibana_system/_password" --data-binary @/tmp/kibana-system.json
es -X PUT "${esUrl}/_security/role/logstash_writer" --data-binary @/etc/cf-logging/logstash-writer-role.json
printf '{"password":"%s","roles":["logstash_writer"]}' "$(cat ${SECRETS_DIR}/logstash-writer-password)" > /tmp/logstash-writer.json
es -X PUT "${esUrl}/_security/user/logstash_writer" --data-binary @/tmp/logstash-writer.json
rm -f /tmp/kibana-system.json /tmp/logstash-writer.json
es -X PUT "${esUrl}/_ingest/pipeline/${logging.pipeline}" --data-binary @/etc/cf-logging/pipeline.json
es -X PUT "${esUrl}/_index_template/${logging.template}" --data-binary @/etc/cf-logging/template.json
kb() { curl -fsS --connect-timeout 5 --max-time 60 --cacert "$ca" -u "elastic:$(cat ${SECRETS_DIR}/elastic-password)" -H 'kbn-xsrf: content-factory' -o /dev/null "$@"; }
wait_for kb "${kibanaUrl}/api/status"
kb -X POST "${kibanaUrl}/api/saved_objects/_import?overwrite=true" -F file=@/etc/cf-logging/saved-objects.ndjson
echo "logging stack configured"`;

/**
 * A Job that puts the parsing contract into Elasticsearch (ingest pipeline, index template with retention),
 * creates the `logstash_writer` role and user, sets `kibana_system`'s password, and imports Kibana's data view,
 * saved searches and dashboard. Its name carries a hash of what it applies, so a change runs a new Job (a Job's
 * template is immutable) and an unchanged one is left alone.
 */
export function setupJob(scope: Construct, profile: 'dev' | 'prod'): void {
  const namespace = logging.namespace;
  const data = {
    'pipeline.json': JSON.stringify(ingestPipeline()),
    'template.json': JSON.stringify(indexTemplate(profile)),
    'logstash-writer-role.json': JSON.stringify(logstashWriterRole),
    'saved-objects.ndjson': savedObjectsNdjson(),
  };
  const hash = createHash('sha256').update(JSON.stringify(data)).update(SCRIPT).digest('hex').slice(0, 8);
  const name = 'logging-setup';
  const meta = { name, namespace, labels: labels(name, 'logging') };
  new k8s.KubeServiceAccount(scope, 'logging-setup-sa', { metadata: meta, automountServiceAccountToken: false });
  new k8s.KubeConfigMap(scope, 'logging-setup-data', { metadata: meta, data });
  const secrets = vaultSecretsInit(setupVault);
  new k8s.KubeJob(scope, 'logging-setup-job', {
    metadata: { ...meta, name: `${name}-${hash}` },
    spec: {
      backoffLimit: 20,
      // The platform's bound on every run-to-completion pod: 30 min for the stack to come up and take its contract.
      activeDeadlineSeconds: 1800,
      template: {
        metadata: { labels: labels(name, 'logging') },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          restartPolicy: 'OnFailure',
          securityContext: podSecurity(1000),
          initContainers: [secrets.init],
          containers: [
            {
              name: 'setup',
              image: logging.elasticsearch.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/bash', '-c', SCRIPT],
              resources: resources({
                requests: { cpu: '10m', memory: '32Mi' },
                limits: { cpu: '200m', memory: '128Mi' },
              }),
              securityContext: containerSecurity(1000, true),
              volumeMounts: [
                { name: 'data', mountPath: '/etc/cf-logging', readOnly: true },
                { name: 'tls', mountPath: '/run/cf-tls', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                secrets.mount,
              ],
            },
          ],
          volumes: [
            { name: 'data', configMap: { name } },
            { name: 'tls', secret: { secretName: 'elasticsearch-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ...secrets.volumes,
          ],
        },
      },
    },
  });
}
