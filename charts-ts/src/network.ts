import { observabilityFlows } from './charts/observability/flows.ts';
import { VAULT_BACKUP_NAME } from './charts/vault-backup.ts';
import type { Profile } from './profile.ts';
import { future, HTTP_PORT, ns, ourNamespaces, postgres, selector, services, unsealer, vault } from './platform.ts';

/** A set of pods (all pods of a namespace when `pods` is undefined) or an address block outside the pod network. */
export type Peer =
  | { kind: 'pods'; namespace: string; pods: Record<string, string> | undefined }
  | { kind: 'cidr'; cidr: string; except: string[] };

export interface PortSpec {
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** One allowed flow; charts turn it into an egress policy at the source and an ingress policy at the destination. */
export interface Flow {
  name: string;
  from: Peer;
  to: Peer;
  ports: PortSpec[];
}

const tcp = (...ports: number[]): PortSpec[] => ports.map((port) => ({ port, protocol: 'TCP' as const }));
const pods = (namespace: string, labels: Record<string, string> | undefined): Peer => ({
  kind: 'pods',
  namespace,
  pods: labels,
});
const app = (namespace: string, name: string): Peer => pods(namespace, selector(name));

export const kubeDns: Peer = pods('kube-system', { 'k8s-app': 'kube-dns' });
export const acmeSolverLabels = { 'acme.cert-manager.io/http01-solver': 'true' };

/** Every flow ARCHITECTURE.md allows, for one profile. Anything not listed here is denied. */
export function flows(profile: Profile): Flow[] {
  const gatewayProxy = pods(profile.gateway.proxyNamespace, profile.gateway.proxyPodLabels);
  const apiServers: Peer[] = profile.apiServer.cidrs.map((cidr) => ({ kind: 'cidr', cidr, except: [] }));
  const cnpg = pods(ns.data, postgres.podLabels);
  const cnpgOperator = pods(profile.cnpgOperator.namespace, profile.cnpgOperator.podLabels);
  const vaultPods = app(ns.vault, vault.name);
  const unsealerPods = app(ns.vault, unsealer.name);
  const out: Flow[] = [];
  const add = (name: string, from: Peer, to: Peer, ports: PortSpec[]): void => {
    out.push({ name, from, to, ports });
  };
  /** HTTP from one app of the apps namespace to another (or to its own peers). */
  const appHttp = (name: string, from: string, to: string): void =>
    add(name, app(ns.apps, from), app(ns.apps, to), tcp(HTTP_PORT));
  /** An address block outside the cluster, never the API server's, even where its endpoint is a public address. */
  const outside = (cidr: string, except: string[]): Peer => ({
    kind: 'cidr',
    cidr,
    except: [...new Set([...except, ...profile.apiServer.cidrs])],
  });

  // TLS entry → web and api-gateway; api-gateway → the backends; integration-service pods → each other.
  add('gateway-to-web', gatewayProxy, app(ns.apps, 'web'), tcp(HTTP_PORT));
  add('gateway-to-api-gateway', gatewayProxy, app(ns.apps, 'api-gateway'), tcp(HTTP_PORT));
  appHttp('api-gateway-to-user-service', 'api-gateway', 'user-service');
  appHttp('api-gateway-to-integration-service', 'api-gateway', 'integration-service');
  // Downstream services verify access tokens again (defense in depth) against user-service's JWKS.
  appHttp('integration-service-to-user-service', 'integration-service', 'user-service');
  appHttp('integration-service-peers', 'integration-service', 'integration-service');
  // integration-service → Telegram's data centres (MTProto over TCP 443, 80 or 5222).
  add(
    'integration-service-to-telegram',
    app(ns.apps, 'integration-service'),
    outside(profile.telegramEgress.cidr, profile.telegramEgress.except),
    tcp(...profile.telegramEgress.ports),
  );
  // user-service → the SMTP relay (issue 18's account mail), only its blocks and only its port.
  profile.mailRelay.cidrs.forEach((cidr, i) => {
    const suffix = i === 0 ? '' : `-${i + 1}`;
    const relay: Peer = { kind: 'cidr', cidr, except: [] };
    add(`user-service-to-mail-relay${suffix}`, app(ns.apps, 'user-service'), relay, tcp(profile.mailRelay.port));
  });
  if (profile.issuer.kind === 'acme') {
    add('gateway-to-acme-solver', gatewayProxy, pods(ns.apps, acmeSolverLabels), tcp(8089));
  }

  // Services → their database and Vault.
  for (const s of services) {
    if (s.database !== undefined) add(`${s.name}-to-postgres`, app(ns.apps, s.name), cnpg, tcp(postgres.port));
    if (s.vault) add(`${s.name}-to-vault`, app(ns.apps, s.name), vaultPods, tcp(vault.apiPort));
  }

  // Vault: raft peers, the unsealer, TokenReview and service registration, the database engine.
  add('vault-peers', vaultPods, vaultPods, tcp(vault.apiPort, vault.clusterPort));
  add('unsealer-to-vault', unsealerPods, vaultPods, tcp(vault.apiPort));
  add('vault-to-postgres', vaultPods, cnpg, tcp(postgres.port));
  // Raft snapshots (charts/vault-backup.ts): to the active node, and in prod to the object store.
  const backupPods = app(ns.vault, VAULT_BACKUP_NAME);
  add('vault-backup-to-vault', backupPods, vaultPods, tcp(vault.apiPort));
  const backupStorage = profile.vault.backup.storage;
  if (backupStorage.kind === 's3') {
    const { cidr, except } = backupStorage.objectStore;
    add('vault-backup-to-object-store', backupPods, outside(cidr, except), tcp(443));
  }
  apiServers.forEach((apiServer, i) => {
    const suffix = i === 0 ? '' : `-${i + 1}`;
    add(`vault-to-api-server${suffix}`, vaultPods, apiServer, tcp(...profile.apiServer.ports));
    add(`unsealer-to-api-server${suffix}`, unsealerPods, apiServer, tcp(...profile.apiServer.ports));
    add(`postgres-to-api-server${suffix}`, cnpg, apiServer, tcp(...profile.apiServer.ports));
  });

  // CloudNativePG: replication between instances, the operator's status checks, the instance manager's API calls.
  add('postgres-peers', cnpg, cnpg, tcp(postgres.port, postgres.statusPort));
  add('cnpg-operator-to-postgres', cnpgOperator, cnpg, tcp(postgres.statusPort, postgres.port));
  if (profile.postgres.backup !== undefined) {
    add('postgres-to-object-store', cnpg, { kind: 'cidr', ...profile.postgres.backup.objectStore }, tcp(443));
  }

  // Prometheus scrapes everyone; Grafana reads Prometheus, Alertmanager and Elasticsearch (observability/flows.ts).
  out.push(...observabilityFlows(profile));

  // Logs: Filebeat (in its own namespace, see ns.logShipper) → Logstash → Elasticsearch ← Kibana.
  const es = app(ns.logging, future.elasticsearch.name);
  add(
    'filebeat-to-logstash',
    app(ns.logShipper, future.filebeat.name),
    app(ns.logging, future.logstash.name),
    tcp(future.logstash.port),
  );
  add('logstash-to-elasticsearch', app(ns.logging, future.logstash.name), es, tcp(future.elasticsearch.port));
  add('kibana-to-elasticsearch', app(ns.logging, future.kibana.name), es, tcp(future.elasticsearch.port));
  add('elasticsearch-peers', es, es, tcp(9300));
  // The setup Job loads the parsing contract into Elasticsearch and the saved objects into Kibana; the logging
  // components' init containers fetch their generated passwords from Vault; Filebeat reads pod metadata.
  const setup = app(ns.logging, 'logging-setup');
  add('logging-setup-to-elasticsearch', setup, es, tcp(future.elasticsearch.port));
  add('logging-setup-to-kibana', setup, app(ns.logging, future.kibana.name), tcp(future.kibana.port));
  for (const name of [future.elasticsearch.name, future.logstash.name, future.kibana.name, 'logging-setup']) {
    add(`${name}-to-vault`, app(ns.logging, name), vaultPods, tcp(vault.apiPort));
  }
  apiServers.forEach((apiServer, i) => {
    const suffix = i === 0 ? '' : `-${i + 1}`;
    add(
      `filebeat-to-api-server${suffix}`,
      app(ns.logShipper, future.filebeat.name),
      apiServer,
      tcp(...profile.apiServer.ports),
    );
  });
  return out;
}

export function isOurs(peer: Peer): peer is Extract<Peer, { kind: 'pods' }> {
  return peer.kind === 'pods' && ourNamespaces.includes(peer.namespace);
}
