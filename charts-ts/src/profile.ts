import type { VaultBackupSchedule } from './charts/vault-backup.ts';
import { VERSION } from './platform.ts';

/** What differs between the laptop kind cluster (`dev`) and production (`prod`). Everything else is shared. */

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

export interface Profile {
  name: 'dev' | 'prod';
  /** Public hostname of the TLS entry. */
  host: string;
  /**
   * Where our images come from: `<registry>/<name>`, then `@<digest>` when one is pinned for that image, else
   * `:<tag>`. Dev uses the local names Tilt builds (`cf/<name>`, no tag: Tilt substitutes its own).
   */
  images: { registry: string; tag: string | undefined; digests: Readonly<Record<string, string>> };
  /** Dev relaxes `readOnlyRootFilesystem` for containers Tilt live-updates (tilt#4200). */
  liveUpdate: boolean;
  issuer: { kind: 'self-signed-ca' } | { kind: 'acme'; email: string; server: string; accountKeySecret: string };
  gateway: {
    className: string;
    /** Where the Gateway implementation runs its proxy pods (the only peer allowed into web and api-gateway). */
    proxyNamespace: string;
    proxyPodLabels: Record<string, string>;
  };
  /**
   * Where the Kubernetes API server answers, for egress policies (TokenReview, leader election, CNPG): the
   * control-plane endpoints of this one cluster (and the `kubernetes` Service address, for CNIs that match
   * before DNAT), nothing broader.
   */
  apiServer: { cidrs: string[]; ports: number[] };
  /**
   * The cluster's pod address ranges: the only hops whose X-Forwarded-For a service believes (TRUSTED_PROXIES).
   * NetworkPolicies already let only the TLS entry reach api-gateway and only api-gateway reach the backends, so a
   * forwarded address is trusted only from the one peer that may send it.
   */
  podNetwork: { cidrs: string[] };
  /**
   * Where integration-service's MTProto connections may go: Telegram's data centres are public addresses
   * that change, so the public internet (private, shared and link-local ranges excepted) on MTProto's ports.
   */
  telegramEgress: { cidr: string; except: string[]; ports: number[] };
  /**
   * integration-service's TELEGRAM_MODE: `gramjs` talks to Telegram with the api_id/api_hash in Vault KV; `demo` is
   * its scripted fake (no network), for clusters that hold no Telegram API credentials — a developer's.
   */
  telegramMode: 'gramjs' | 'demo';
  /**
   * integration-service's UNVERIFIED_MAY_NOT (issue 18): what an account whose address is unverified may not do;
   * undefined keeps the service's default (connecting accounts and publishing wait for the link in the mail).
   */
  unverifiedMayNot: 'none' | undefined;
  /**
   * Where Alertmanager's receivers answer (webhooks over HTTPS, SMTP submission): the blocks of the paging
   * service and mail relay this cluster uses, nothing broader. Empty: no notification leaves the cluster.
   */
  alertReceivers: { cidrs: string[]; ports: number[] };
  /**
   * The SMTP relay user-service sends account mail through (issue 18: verification, reset, address-change notices):
   * its host, port and TLS mode (user-service's SMTP_HOST/PORT/TLS) and the address blocks it answers on, user-service's
   * only egress beyond the cluster, on that port only. Its login is in Vault KV `secret/user-service/smtp`
   * (`username`, `password`). No blocks: no mail leaves the cluster (it waits in the queue).
   */
  mailRelay: { host: string; port: number; tls: 'starttls' | 'tls'; cidrs: string[] };
  /** Namespace and labels of the CloudNativePG operator's pods. */
  cnpgOperator: { namespace: string; podLabels: Record<string, string> };
  vault: {
    replicas: number;
    storage: string;
    resources: Resources;
    secretShares: number;
    secretThreshold: number;
    /**
     * Secrets the unseal shares are split over (the unsealer's VAULT_KEY_SECRETS): with more than one, none may
     * hold a threshold (ceil(shares / keySecrets) < threshold; the unsealer refuses to start otherwise).
     */
    keySecrets: number;
    /** Raft snapshots (issue 19): how often, how many kept, where. */
    backup: VaultBackupSchedule;
  };
  unsealer: { replicas: number; resources: Resources };
  postgres: {
    instances: number;
    storage: string;
    walStorage: string | undefined;
    resources: Resources;
    backup:
      | {
          destinationPath: string;
          retention: string;
          schedule: string;
          /** Where the object store answers (HTTPS); the public internet unless the cluster has a private one. */
          objectStore: { cidr: string; except: string[] };
        }
      | undefined;
  };
  apps: {
    replicas: number;
    integrationReplicas: number;
    resources: Resources;
    /**
     * HorizontalPodAutoscaler for the stateless Deployments (web, api-gateway, user-service) from `replicas` up
     * to `maxReplicas` at this average CPU utilization of requests. Undefined: fixed replicas (kind has no
     * metrics-server). integration-service scales by hand: its pods hold Telegram connections under leases.
     */
    autoscale: { maxReplicas: number; cpuUtilization: number } | undefined;
  };
}

const small: Resources = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** Private (RFC 1918), shared (RFC 6598), loopback and link-local ranges: never a Telegram data centre. */
const nonPublic = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16'];

/** The `kubernetes` Service address in kind's service subnet (kind-config.yaml: 10.96.0.0/16). */
const kindApiService = '10.96.0.1/32';
/**
 * kind's nodes sit on the container engine's `kind` network, which Docker allocates from its default
 * address pools (172.17.0.0/16 … 172.31.0.0/16); the API server listens on the control-plane node's :6443.
 */
const kindNodeNetwork = '172.16.0.0/12';
/** kind's default pod subnet (kind-config.yaml). */
const kindPodSubnet = '10.244.0.0/16';

/** Placeholders a real production deployment must replace (`npm run synth` renders them for review only). */
export const PLACEHOLDER_REGISTRY = 'registry.example.com/content-factory';
/** TEST-NET-1 (RFC 5737): never routed, so a forgotten placeholder opens nothing. */
export const PLACEHOLDER_API_SERVER_CIDR = '192.0.2.1/32';
/** TEST-NET-1 (RFC 5737), beside the API-server placeholder: a forgotten placeholder sends alerts nowhere. */
export const PLACEHOLDER_ALERT_RECEIVER_CIDR = '192.0.2.25/32';
/** TEST-NET-2 (RFC 5737): a forgotten placeholder trusts no real peer. */
export const PLACEHOLDER_POD_CIDR = '198.51.100.0/24';
/** TEST-NET-1 (RFC 5737), beside the other placeholders: a forgotten placeholder sends account mail nowhere. */
export const PLACEHOLDER_MAIL_RELAY_CIDR = '192.0.2.26/32';

export const dev: Profile = {
  name: 'dev',
  host: 'content-factory.localhost',
  images: { registry: 'cf', tag: undefined, digests: {} },
  liveUpdate: true,
  issuer: { kind: 'self-signed-ca' },
  gateway: {
    // Traefik, installed by the Tiltfile (and by test/e2e on the real node) with this GatewayClass.
    className: 'traefik',
    proxyNamespace: 'traefik',
    proxyPodLabels: { 'app.kubernetes.io/name': 'traefik' },
  },
  apiServer: { cidrs: [kindNodeNetwork, kindApiService], ports: [443, 6443] },
  podNetwork: { cidrs: [kindPodSubnet] },
  telegramEgress: { cidr: '0.0.0.0/0', except: nonPublic, ports: [443, 80, 5222] },
  // Without it integration-service exits at start on a fresh kind cluster: nothing puts api_id/api_hash in Vault.
  telegramMode: 'demo',
  // No mail leaves a developer's cluster (mailRelay below), so no verification link ever arrives: were connecting
  // an account held back until one is followed, a developer could never connect a demo account.
  unverifiedMayNot: 'none',
  // On kind, alerts are read in Alertmanager's UI (kubectl port-forward); none leaves the laptop.
  alertReceivers: { cidrs: [], ports: [443, 587] },
  // On kind no mail leaves the laptop either: it waits in user-service's queue (npm start has Mailpit for mail).
  mailRelay: { host: 'smtp.content-factory.localhost', port: 587, tls: 'starttls', cidrs: [] },
  cnpgOperator: { namespace: 'cnpg-system', podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } },
  vault: {
    replicas: 1,
    storage: '1Gi',
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    secretShares: 1,
    secretThreshold: 1,
    keySecrets: 1,
    backup: { everyHours: 24, keep: 3, storage: { kind: 'pvc', size: '1Gi' } },
  },
  unsealer: {
    replicas: 1,
    // Dev runs the Dockerfile's dev stage: nodemon is a second Node process beside the operator (≈ 50 MiB); with
    // 128Mi the unsealer was OOM-killed on the real node before it configured Vault.
    resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { cpu: '200m', memory: '192Mi' } },
  },
  postgres: {
    instances: 1,
    storage: '1Gi',
    walStorage: undefined,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    backup: undefined,
  },
  apps: { replicas: 1, integrationReplicas: 1, resources: small, autoscale: undefined },
};

export const prod: Profile = {
  name: 'prod',
  host: 'content-factory.example.com',
  images: { registry: PLACEHOLDER_REGISTRY, tag: VERSION, digests: {} },
  liveUpdate: false,
  issuer: {
    kind: 'acme',
    email: 'ops@content-factory.example.com',
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    accountKeySecret: 'cf-letsencrypt-account-key',
  },
  gateway: dev.gateway,
  apiServer: { cidrs: [PLACEHOLDER_API_SERVER_CIDR], ports: [443, 6443] },
  podNetwork: { cidrs: [PLACEHOLDER_POD_CIDR] },
  telegramEgress: dev.telegramEgress,
  telegramMode: 'gramjs',
  unverifiedMayNot: undefined,
  alertReceivers: { cidrs: [PLACEHOLDER_ALERT_RECEIVER_CIDR], ports: [443, 587] },
  mailRelay: {
    host: 'smtp.content-factory.example.com',
    port: 587,
    tls: 'starttls',
    cidrs: [PLACEHOLDER_MAIL_RELAY_CIDR],
  },
  cnpgOperator: dev.cnpgOperator,
  vault: {
    replicas: 3,
    storage: '10Gi',
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    secretShares: 5,
    secretThreshold: 3,
    // 5 shares over 3 Secrets: 2, 2, 1 — each below the threshold of 3.
    keySecrets: 3,
    backup: {
      everyHours: 1,
      keep: 48,
      storage: {
        kind: 's3',
        bucket: 'content-factory-backups',
        prefix: 'vault/',
        objectStore: { cidr: '0.0.0.0/0', except: nonPublic },
      },
    },
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
      objectStore: { cidr: '0.0.0.0/0', except: nonPublic },
    },
  },
  apps: {
    replicas: 2,
    integrationReplicas: 2,
    resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    autoscale: { maxReplicas: 6, cpuUtilization: 70 },
  },
};

export const profiles: readonly Profile[] = [dev, prod];

/** The placeholders still in a profile, by what to set to replace them (empty: ready to deploy). */
export function placeholdersIn(profile: Profile): string[] {
  const found: string[] = [];
  if (profile.images.registry === PLACEHOLDER_REGISTRY)
    found.push(`CF_IMAGE_REGISTRY (images from ${PLACEHOLDER_REGISTRY})`);
  if (profile.apiServer.cidrs.includes(PLACEHOLDER_API_SERVER_CIDR)) {
    found.push(`CF_API_SERVER_CIDRS (API server at ${PLACEHOLDER_API_SERVER_CIDR})`);
  }
  if (profile.podNetwork.cidrs.includes(PLACEHOLDER_POD_CIDR)) {
    found.push(`CF_POD_CIDRS (pod network at ${PLACEHOLDER_POD_CIDR})`);
  }
  if (profile.alertReceivers.cidrs.includes(PLACEHOLDER_ALERT_RECEIVER_CIDR)) {
    found.push(`CF_ALERT_RECEIVER_CIDRS (alert receivers at ${PLACEHOLDER_ALERT_RECEIVER_CIDR})`);
  }
  if (profile.mailRelay.cidrs.includes(PLACEHOLDER_MAIL_RELAY_CIDR)) {
    found.push(`CF_MAIL_RELAY_CIDRS (SMTP relay at ${PLACEHOLDER_MAIL_RELAY_CIDR})`);
  }
  return found;
}

/**
 * A profile with the per-cluster values a deployment supplies: CF_IMAGE_REGISTRY, CF_IMAGE_TAG,
 * CF_IMAGE_DIGESTS (`name@sha256:…` comma-separated), CF_API_SERVER_CIDRS, CF_POD_CIDRS, CF_ALERT_RECEIVER_CIDRS and
 * CF_MAIL_RELAY_CIDRS (comma-separated), CF_MAIL_RELAY_HOST.
 */
export function withEnvironment(profile: Profile, env: Record<string, string | undefined>): Profile {
  const list = (value: string | undefined): string[] | undefined =>
    value === undefined || value.trim() === '' ? undefined : value.split(',').map((item) => item.trim());
  const digests = Object.fromEntries(
    (list(env['CF_IMAGE_DIGESTS']) ?? []).map((item) => {
      const at = item.indexOf('@');
      if (at <= 0) throw new Error(`CF_IMAGE_DIGESTS: ${item} is not name@sha256:…`);
      return [item.slice(0, at), item.slice(at + 1)];
    }),
  );
  return {
    ...profile,
    images: {
      registry: env['CF_IMAGE_REGISTRY'] || profile.images.registry,
      tag: env['CF_IMAGE_TAG'] || profile.images.tag,
      digests: { ...profile.images.digests, ...digests },
    },
    apiServer: { ...profile.apiServer, cidrs: list(env['CF_API_SERVER_CIDRS']) ?? profile.apiServer.cidrs },
    podNetwork: { cidrs: list(env['CF_POD_CIDRS']) ?? profile.podNetwork.cidrs },
    alertReceivers: {
      ...profile.alertReceivers,
      cidrs: list(env['CF_ALERT_RECEIVER_CIDRS']) ?? profile.alertReceivers.cidrs,
    },
    mailRelay: {
      ...profile.mailRelay,
      host: env['CF_MAIL_RELAY_HOST'] || profile.mailRelay.host,
      cidrs: list(env['CF_MAIL_RELAY_CIDRS']) ?? profile.mailRelay.cidrs,
    },
  };
}
