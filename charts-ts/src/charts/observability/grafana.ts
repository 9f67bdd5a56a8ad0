import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import {
  containerSecurity,
  env,
  podSecurity,
  resources,
  selectedPods,
  VAULT_TOKEN_DIR,
  vaultTokenVolume,
} from '../../lib/workload.ts';
import { caBundleVolume } from '../../lib/certificates.ts';
import { future, internalCa, labels, ns, selector, vault } from '../../platform.ts';
import { dashboards, datasources } from './dashboards/index.ts';
import { upstreamProbes } from './objects.ts';
import type { ObservabilitySettings } from './settings.ts';
import { vaultPaths } from './settings.ts';
import { alertmanager, grafana, namespace, prometheus, vaultAgent } from './stack.ts';

/** Datasources Grafana provisions at start (Grafana docs, "Provision Grafana": apiVersion 1 datasources file). */
export function grafanaDatasources(): object {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: datasources.prometheus.uid,
        type: 'prometheus',
        access: 'proxy',
        url: `http://${prometheus.name}-operated.${namespace}.svc:${prometheus.port}`,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: '30s', httpMethod: 'POST' },
      },
      {
        name: 'Alertmanager',
        uid: datasources.alertmanager.uid,
        type: 'alertmanager',
        access: 'proxy',
        url: `http://${alertmanager.name}-operated.${namespace}.svc:${alertmanager.port}`,
        editable: false,
        jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
      },
      {
        name: 'Elasticsearch',
        uid: datasources.elasticsearch.uid,
        type: 'elasticsearch',
        access: 'proxy',
        url: `http://${future.elasticsearch.name}.${ns.logging}.svc:${future.elasticsearch.port}`,
        editable: false,
        jsonData: { index: 'logs-*', timeField: '@timestamp', logMessageField: 'message', logLevelField: 'log.level' },
      },
    ],
  };
}

const PASSWORD_FILE = `${vaultAgent.secretsDir}/admin-password`;

/**
 * The init step that keeps Grafana's admin password in Vault: log in with the pod's token, read the password;
 * the first pod ever generates one and stores it with check-and-set 0 (so concurrent first starts agree on the
 * winner), then everyone reads it back. The password reaches Grafana only as a file in memory.
 */
export function adminPasswordScript(): string {
  const path = vaultPaths.grafana;
  return [
    'set -eu',
    `VAULT_TOKEN="$(bao write -field=token auth/kubernetes/login role=${vaultAgent.role.grafana} jwt=@${VAULT_TOKEN_DIR}/token)"`,
    'export VAULT_TOKEN',
    `if ! bao kv get -mount=secret -field=admin-password ${path} >/dev/null 2>&1; then`,
    "  head -c 30 /dev/urandom | base64 | tr -d '\\n' |",
    `    bao kv put -mount=secret -cas=0 ${path} admin-password=- >/dev/null || true`,
    'fi',
    'umask 077',
    `bao kv get -mount=secret -field=admin-password ${path} > ${PASSWORD_FILE}`,
    '',
  ].join('\n');
}

/**
 * Grafana: anonymous access and sign-up off, admin password from Vault, datasources and dashboards provisioned
 * read-only from ConfigMaps generated here. Reachable only by `kubectl port-forward` (no route, no ingress flow).
 */
export function grafanaStack(scope: Construct, settings: ObservabilitySettings): void {
  const l = labels(grafana.name, 'dashboards', grafana.version);
  new k8s.KubeServiceAccount(scope, 'grafana-sa', {
    metadata: { name: grafana.serviceAccount, namespace, labels: l },
    automountServiceAccountToken: false,
  });
  const json = Object.fromEntries(Object.entries(dashboards()).map(([file, d]) => [file, JSON.stringify(d, null, 1)]));
  new k8s.KubeConfigMap(scope, 'grafana-dashboards', {
    metadata: { name: 'grafana-dashboards', namespace, labels: l },
    data: json,
  });
  new k8s.KubeConfigMap(scope, 'grafana-provisioning', {
    metadata: { name: 'grafana-provisioning', namespace, labels: l },
    data: {
      'datasources.yaml': stringify(grafanaDatasources()),
      'dashboards.yaml': stringify({
        apiVersion: 1,
        providers: [
          {
            name: 'content-factory',
            folder: 'Content Factory',
            type: 'file',
            disableDeletion: true,
            allowUiUpdates: false,
            options: { path: '/var/lib/grafana-dashboards' },
          },
        ],
      }),
      'init-admin-password.sh': adminPasswordScript(),
    },
  });
  new k8s.KubeService(scope, 'grafana-service', {
    metadata: { name: grafana.name, namespace, labels: l },
    spec: {
      selector: selector(grafana.name),
      ports: [{ name: 'http', port: grafana.port, targetPort: k8s.IntOrString.fromString('http') }],
    },
  });
  const provisioning = (sub: string, key: string): k8s.VolumeMount => ({
    name: 'provisioning',
    mountPath: `/etc/grafana/provisioning/${sub}/${key}`,
    subPath: key,
    readOnly: true,
  });
  new k8s.KubeDeployment(scope, 'grafana', {
    metadata: { name: grafana.name, namespace, labels: l },
    spec: {
      replicas: settings.grafana.replicas,
      ...selectedPods(grafana.name, l, {
        serviceAccountName: grafana.serviceAccount,
        automountServiceAccountToken: false,
        securityContext: podSecurity(grafana.uid),
        initContainers: [
          {
            name: 'admin-password',
            image: vault.image,
            command: ['/bin/sh', '/etc/grafana-init/init-admin-password.sh'],
            env: env({
              VAULT_ADDR: vault.address,
              // Vault's certificate comes from the internal CA (the namespace's trust Secret, chart.ts).
              VAULT_CACERT: `${internalCa.mountDir}/${internalCa.file}`,
              VAULT_CLIENT_TIMEOUT: '10s',
              VAULT_MAX_RETRIES: 3,
            }),
            volumeMounts: [
              {
                name: 'provisioning',
                mountPath: '/etc/grafana-init/init-admin-password.sh',
                subPath: 'init-admin-password.sh',
                readOnly: true,
              },
              { name: 'vault-secrets', mountPath: vaultAgent.secretsDir },
              { name: 'vault-token', mountPath: VAULT_TOKEN_DIR, readOnly: true },
              { name: 'internal-ca', mountPath: internalCa.mountDir, readOnly: true },
            ],
            securityContext: containerSecurity(grafana.uid, true),
            resources: resources({
              requests: { cpu: '10m', memory: '32Mi' },
              limits: { cpu: '100m', memory: '64Mi' },
            }),
          },
        ],
        containers: [
          {
            name: 'grafana',
            image: grafana.image,
            ports: [{ name: 'http', containerPort: grafana.port }],
            env: env({
              GF_SECURITY_ADMIN_USER: 'admin',
              GF_SECURITY_ADMIN_PASSWORD__FILE: PASSWORD_FILE,
              GF_AUTH_ANONYMOUS_ENABLED: 'false',
              GF_USERS_ALLOW_SIGN_UP: 'false',
              GF_ANALYTICS_REPORTING_ENABLED: 'false',
              GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
              GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
              GF_NEWS_NEWS_FEED_ENABLED: 'false',
              GF_PATHS_DATA: '/var/lib/grafana',
              GF_LOG_MODE: 'console',
              GF_LOG_CONSOLE_FORMAT: 'json',
            }),
            volumeMounts: [
              provisioning('datasources', 'datasources.yaml'),
              provisioning('dashboards', 'dashboards.yaml'),
              { name: 'dashboards', mountPath: '/var/lib/grafana-dashboards', readOnly: true },
              { name: 'data', mountPath: '/var/lib/grafana' },
              { name: 'tmp', mountPath: '/tmp' },
              { name: 'vault-secrets', mountPath: vaultAgent.secretsDir, readOnly: true },
            ],
            // /healthz answers while the server runs; /api/health also checks Grafana's database (Grafana docs,
            // "HTTP API: Health").
            ...upstreamProbes({ path: '/healthz', port: 'http' }, { path: '/api/health', port: 'http' }),
            securityContext: containerSecurity(grafana.uid, true),
            resources: resources(settings.grafana.resources),
          },
        ],
        volumes: [
          { name: 'provisioning', configMap: { name: 'grafana-provisioning' } },
          { name: 'dashboards', configMap: { name: 'grafana-dashboards' } },
          { name: 'data', emptyDir: {} },
          { name: 'tmp', emptyDir: {} },
          { name: 'vault-secrets', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
          vaultTokenVolume(vault.audience),
          caBundleVolume('internal-ca', internalCa.trustSecret),
        ],
      }),
    },
  });
}
