/** What differs between the laptop kind cluster (`dev`) and production (`prod`). Everything else is shared. */

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface Profile {
  name: 'dev' | 'prod';
  /** Public hostname of the TLS entry. */
  host: string;
  /** `cf/<service>` plus this tag; dev leaves it off so Tilt can substitute its own. */
  imageTag: string | undefined;
  /** Dev relaxes `readOnlyRootFilesystem` for containers Tilt live-updates (tilt#4200). */
  liveUpdate: boolean;
  issuer: { kind: 'self-signed-ca' } | { kind: 'acme'; email: string; server: string; accountKeySecret: string };
  gateway: {
    className: string;
    /** Where the Gateway implementation runs its proxy pods (the only peer allowed into web and api-gateway). */
    proxyNamespace: string;
    proxyPodLabels: Record<string, string>;
  };
  /** Where the Kubernetes API server answers, for egress policies (TokenReview, leader election, CNPG). */
  apiServer: { cidr: string; except: string[]; ports: number[] };
  /**
   * Where integration-service's MTProto connections may go: Telegram's data centres are public addresses
   * that change, so the public internet (private, shared and link-local ranges excepted) on MTProto's ports.
   */
  telegramEgress: { cidr: string; except: string[]; ports: number[] };
  /** Namespace and labels of the CloudNativePG operator's pods. */
  cnpgOperator: { namespace: string; podLabels: Record<string, string> };
  vault: { replicas: number; storage: string; resources: Resources; secretShares: number; secretThreshold: number };
  unsealer: { replicas: number; resources: Resources };
  postgres: {
    instances: number;
    storage: string;
    walStorage: string | undefined;
    resources: Resources;
    backup: { destinationPath: string; retention: string; schedule: string; objectStoreCidr: string } | undefined;
  };
  apps: { replicas: number; integrationReplicas: number; resources: Resources };
}

const small: Resources = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** Private (RFC 1918), shared (RFC 6598), loopback and link-local ranges: never a Telegram data centre. */
const nonPublic = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16'];

/** Kind's default pod subnet: what the API-server egress rule must not open up. */
const kindPodSubnet = '10.244.0.0/16';

export const dev: Profile = {
  name: 'dev',
  host: 'content-factory.localhost',
  imageTag: undefined,
  liveUpdate: true,
  issuer: { kind: 'self-signed-ca' },
  gateway: {
    // Traefik, installed by the Tiltfile (and by test/e2e on the real node) with this GatewayClass.
    className: 'traefik',
    proxyNamespace: 'traefik',
    proxyPodLabels: { 'app.kubernetes.io/name': 'traefik' },
  },
  apiServer: { cidr: '0.0.0.0/0', except: [kindPodSubnet], ports: [443, 6443] },
  telegramEgress: { cidr: '0.0.0.0/0', except: nonPublic, ports: [443, 80, 5222] },
  cnpgOperator: { namespace: 'cnpg-system', podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
  vault: {
    replicas: 1,
    storage: '1Gi',
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    secretShares: 1,
    secretThreshold: 1,
  },
  unsealer: {
    replicas: 1,
    resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  },
  postgres: {
    instances: 1,
    storage: '1Gi',
    walStorage: undefined,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    backup: undefined,
  },
  apps: { replicas: 1, integrationReplicas: 1, resources: small },
};

export const prod: Profile = {
  name: 'prod',
  host: 'content-factory.example.com',
  imageTag: '0.1.0',
  liveUpdate: false,
  issuer: {
    kind: 'acme',
    email: 'ops@content-factory.example.com',
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    accountKeySecret: 'cf-letsencrypt-account-key',
  },
  gateway: dev.gateway,
  apiServer: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'], ports: [443, 6443] },
  telegramEgress: dev.telegramEgress,
  cnpgOperator: dev.cnpgOperator,
  vault: {
    replicas: 3,
    storage: '10Gi',
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    secretShares: 5,
    secretThreshold: 3,
  },
  unsealer: {
    replicas: 2,
    resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  },
  postgres: {
    instances: 3,
    storage: '20Gi',
    walStorage: '5Gi',
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
    backup: {
      destinationPath: 's3://content-factory-backups/postgres',
      retention: '30d',
      schedule: '0 0 3 * * *',
      objectStoreCidr: '0.0.0.0/0',
    },
  },
  apps: {
    replicas: 2,
    integrationReplicas: 2,
    resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  },
};

export const profiles: readonly Profile[] = [dev, prod];
