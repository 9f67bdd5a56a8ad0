/** Names every chart agrees on: namespaces, workloads, labels, ports. */

export const ns = {
  apps: 'cf-apps',
  data: 'cf-data',
  vault: 'cf-vault',
  observability: 'cf-observability',
  logging: 'cf-logging',
  /**
   * The log shipper's own namespace (a Filebeat DaemonSet reading the nodes' container logs through hostPath,
   * which only Pod Security `privileged` admits), so cf-logging and every other namespace stay `restricted`.
   */
  logShipper: 'cf-log-shipper',
} as const;

export const ourNamespaces: readonly string[] = Object.values(ns);

export const PART_OF = 'content-factory';
/** The release of content-factory (root package.json): prod's image tag and every object's version label. */
export const VERSION = '0.1.0';
/** PriorityClass of Vault and its unsealer: every service's secrets and database logins depend on them. */
export const VAULT_PRIORITY_CLASS = 'cf-vault-critical';
export const HTTP_PORT = 8080;

export type ServiceName = 'user-service' | 'api-gateway' | 'integration-service' | 'web';

export interface ServiceSpec {
  name: ServiceName;
  kind: 'Deployment' | 'StatefulSet';
  component: string;
  /** PostgreSQL database (and owner role) of the service, when it has one. */
  database: string | undefined;
  /** Whether the service authenticates to Vault (web serves static files and never does). */
  vault: boolean;
  /** Paths in KV v2 mount `secret` the service reads, and whether it may write there (generated secrets). */
  kv: { path: string; write: boolean } | undefined;
  /** KV v2 paths under `kv.path` the service only reads, even where it may write the rest (credentials an operator puts). */
  kvReadOnly?: string[];
  /** Transit keys the service encrypts and decrypts with. */
  transitKeys: string[];
}

export const TELEGRAM_SESSION_KEY = 'telegram-sessions';
/** user-service's TOTP secrets (issue 18); the service's `TWO_FACTOR_TRANSIT_KEY` default. */
export const TWO_FACTOR_SECRET_KEY = 'two-factor-secrets';

export const services: readonly ServiceSpec[] = [
  {
    name: 'web',
    kind: 'Deployment',
    component: 'frontend',
    database: undefined,
    vault: false,
    kv: undefined,
    transitKeys: [],
  },
  {
    name: 'api-gateway',
    kind: 'Deployment',
    component: 'gateway',
    // Its rate limits count in its own database, so they hold across replicas; Vault only issues that login
    // (tokens are verified with user-service's public JWKS).
    database: 'api_gateway',
    vault: true,
    kv: undefined,
    transitKeys: [],
  },
  {
    name: 'user-service',
    kind: 'Deployment',
    component: 'backend',
    database: 'user_service',
    vault: true,
    kv: { path: 'user-service', write: true },
    // Its SMTP login (issue 18): an operator writes it, the service reads it (service-env.ts SMTP_SECRET_PATH).
    kvReadOnly: ['user-service/smtp'],
    transitKeys: [TWO_FACTOR_SECRET_KEY],
  },
  {
    name: 'integration-service',
    kind: 'StatefulSet',
    component: 'backend',
    database: 'integration_service',
    vault: true,
    kv: { path: 'integration-service', write: false },
    transitKeys: [TELEGRAM_SESSION_KEY],
  },
];

export function service(name: ServiceName): ServiceSpec {
  const found = services.find((s) => s.name === name);
  if (found === undefined) throw new Error(`unknown service ${name}`);
  return found;
}

/** `app.kubernetes.io/*` labels; the selector subset is name + instance. */
export function labels(name: string, component: string, version?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': 'cdk8s',
    ...(version !== undefined ? { 'app.kubernetes.io/version': version } : {}),
  };
}

export function selector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
}

export const vault = {
  name: 'vault',
  image: 'quay.io/openbao/openbao:2.7.2',
  version: '2.7.2',
  headless: 'vault-internal',
  service: 'vault',
  /** Service selecting only the active node (by service registration's label; OpenBao prefixes it `openbao-`). */
  activeService: 'vault-active',
  activeLabel: 'openbao-active',
  apiPort: 8200,
  clusterPort: 8201,
  serviceAccount: 'vault',
  serverConfigMap: 'vault-server-config',
  audience: 'vault',
  address: `https://vault.${ns.vault}.svc:8200`,
  tlsSecret: 'vault-tls',
  tlsDir: '/vault/tls',
} as const;

export const unsealer = {
  name: 'vault-unsealer',
  image: 'cf/vault-unsealer',
  port: 8080,
  configMap: 'vault-unsealer-config',
  configDir: '/etc/vault-unsealer',
  keySecret: 'vault-unseal-keys',
  lease: 'vault-unsealer',
} as const;

/**
 * The internal CA (a cert-manager CA ClusterIssuer on a self-signed root) that signs Vault's and PostgreSQL's
 * server certificates; every client verifies against its `ca.crt`, mounted at `mountDir`.
 */
export const internalCa = {
  issuer: 'cf-internal-ca',
  secret: 'cf-internal-ca',
  /** A Certificate in cf-apps whose Secret carries `ca.crt` for the services (see tls.ts). */
  trustSecret: 'cf-internal-trust',
  mountDir: '/etc/cf-ca',
  file: 'ca.crt',
} as const;

export const postgres = {
  cluster: 'cf-postgres',
  /**
   * Vault's database-engine login: CloudNativePG's bootstrap owner (`<cluster>-app` Secret, generated by the
   * operator), with CREATEROLE and ADMIN on each service's owner role, never the superuser.
   */
  vaultAdmin: 'vault_admin',
  vaultAdminSecret: 'cf-postgres-app',
  serverTlsSecret: 'cf-postgres-server-tls',
  backupObjectStore: 'cf-postgres-backups',
  barmanPlugin: 'barman-cloud.cloudnative-pg.io',
  rwService: `cf-postgres-rw.${ns.data}.svc`,
  port: 5432,
  metricsPort: 9187,
  statusPort: 8000,
  image: 'ghcr.io/cloudnative-pg/postgresql:18.3-system-trixie',
  podLabels: { 'cnpg.io/cluster': 'cf-postgres' } as Record<string, string>,
} as const;

/** Workloads a later issue adds (observability, logging); their flows are allowed already. */
export const future = {
  prometheus: { name: 'prometheus', port: 9090 },
  alertmanager: { name: 'alertmanager', port: 9093 },
  grafana: { name: 'grafana', port: 3000 },
  elasticsearch: { name: 'elasticsearch', port: 9200 },
  logstash: { name: 'logstash', port: 5044 },
  kibana: { name: 'kibana', port: 5601 },
  filebeat: { name: 'filebeat', port: undefined },
} as const;

export const gateway = { name: 'cf-gateway', namespace: ns.apps, tlsSecret: 'cf-gateway-tls' } as const;

/** `<registry>/<name>@<digest>` when a digest is pinned, else `<registry>/<name>[:<tag>]`. */
export function imageOf(
  name: string,
  images: { registry: string; tag: string | undefined; digests: Readonly<Record<string, string>> },
): string {
  const digest = images.digests[name];
  if (digest !== undefined) return `${images.registry}/${name}@${digest}`;
  return images.tag === undefined ? `${images.registry}/${name}` : `${images.registry}/${name}:${images.tag}`;
}
