import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { httpGet } from '../../lib/workload.ts';
import { loggingCertificate, TLS_DIR } from './certificates.ts';
import { esUrl } from './elasticsearch.ts';
import { componentEndpoint } from './endpoint.ts';
import { logging } from './names.ts';
import { loggingDeployment } from './pod.ts';
import type { LoggingSettings } from './settings.ts';
import { SECRETS_DIR, vaultSecretsInit, type LoggingVaultClient } from './vault-secrets.ts';
import { writableDir } from './writable.ts';

const KIBANA_UID = 1000;
/**
 * Liveness: the login page, served without a session while the server runs. Readiness: `/api/status`, which
 * answers 503 while Kibana is unavailable (its Elasticsearch unreachable) and needs no credentials with
 * `status.allowAnonymous` (it then says only the overall level) — elastic.co/guide/en/kibana/8.19/settings.html.
 */
export const kibanaProbePaths = { live: '/login', ready: '/api/status' } as const;

export const kibanaVault: LoggingVaultClient = {
  role: 'kibana',
  serviceAccount: 'kibana',
  namespace: logging.namespace,
  secrets: ['kibana-system-password', 'kibana-encryption-key'],
};

/**
 * Kibana over TLS, as `kibana_system` (password from Vault, set in Elasticsearch by the setup Job), with its
 * saved-object encryption key from Vault. Reachable only by port-forward (and the setup Job). The root filesystem
 * is read-only: Kibana writes only its data directory (path.data: uuid, reporting's browser) and /tmp.
 */
export function kibana(scope: Construct, settings: LoggingSettings['kibana']): void {
  const { name, port, image, version } = logging.kibana;
  const namespace = logging.namespace;
  const meta = componentEndpoint(scope, { name, version }, { name: 'https', number: port });
  loggingCertificate(scope, 'kibana-tls', namespace, [`${name}.${namespace}.svc`, name, 'localhost']);
  const secrets = vaultSecretsInit(kibanaVault);
  const writable = [writableDir('data', '/usr/share/kibana/data', '256Mi'), writableDir('tmp', '/tmp', '64Mi')];
  const probe = (path: string): k8s.HttpGetAction => ({ ...httpGet(path, port), scheme: 'HTTPS' });
  // The image maps upper-case variables to settings (kibana-docker); secrets go from files into this process only.
  const start = [
    `ELASTICSEARCH_PASSWORD="$(cat ${SECRETS_DIR}/kibana-system-password)"`,
    `XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY="$(cat ${SECRETS_DIR}/kibana-encryption-key)"`,
    `XPACK_SECURITY_ENCRYPTIONKEY="$(cat ${SECRETS_DIR}/kibana-encryption-key)"`,
    `XPACK_REPORTING_ENCRYPTIONKEY="$(cat ${SECRETS_DIR}/kibana-encryption-key)"`,
    'exec /usr/local/bin/kibana-docker',
  ].join(' ');
  loggingDeployment(scope, meta, settings, {
    name,
    version,
    image,
    uid: KIBANA_UID,
    secrets,
    writable,
    container: {
      command: ['/bin/sh', '-c', start],
      env: [
        { name: 'ELASTICSEARCH_HOSTS', value: JSON.stringify([esUrl]) },
        { name: 'ELASTICSEARCH_USERNAME', value: 'kibana_system' },
        { name: 'ELASTICSEARCH_SSL_CERTIFICATEAUTHORITIES', value: `${TLS_DIR}/ca.crt` },
        { name: 'ELASTICSEARCH_SSL_VERIFICATIONMODE', value: 'full' },
        { name: 'SERVER_SSL_ENABLED', value: 'true' },
        { name: 'SERVER_SSL_CERTIFICATE', value: `${TLS_DIR}/tls.crt` },
        { name: 'SERVER_SSL_KEY', value: `${TLS_DIR}/tls.key` },
        { name: 'SERVER_HOST', value: '0.0.0.0' },
        { name: 'TELEMETRY_OPTIN', value: 'false' },
        { name: 'TELEMETRY_ENABLED', value: 'false' },
        { name: 'NEWSFEED_ENABLED', value: 'false' },
        { name: 'STATUS_ALLOWANONYMOUS', value: 'true' },
      ],
      ports: [{ name: 'https', containerPort: port }],
    },
    probes: { live: probe(kibanaProbePaths.live), ready: probe(kibanaProbePaths.ready), startupFailures: 90 },
    mounts: [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }],
    volumes: [{ name: 'tls', secret: { secretName: 'kibana-tls' } }],
  });
}
