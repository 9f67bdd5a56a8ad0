// HTTPS to the platform on a RunningNode from the host, as a developer's browser reaches it: Traefik's Service
// address (kube-proxy routes a ClusterIP from the host too), the Gateway's hostname as SNI and Host, and the dev CA
// from cert-manager as the only trusted root, so a wrong certificate fails the call instead of being skipped.
import { Agent, request } from 'node:https';
import type { RunningNode } from './node.ts';

/** The Tiltfile's Traefik Service (namespace/name), which the Gateway's status addresses. */
const TRAEFIK_SERVICE = { namespace: 'traefik', name: 'traefik' };
/** The dev ClusterIssuer's CA certificate (manifests/dev 00-cluster: Certificate cert-manager/cf-dev-ca). */
const DEV_CA_SECRET = { namespace: 'cert-manager', name: 'cf-dev-ca' };

export interface GatewayAnswer {
  status: number;
  /** The JSON body ({} when empty; `{ text }` when not JSON). */
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface GatewayClient {
  /** The hostname the Gateway's HTTPS listener serves (SNI, Host and the Origin of the calls). */
  host: string;
  /** Where Traefik's Service answers (its ClusterIP). */
  address: string;
  /** One call to `https://<host><path>`; JSON in and out; rejects on a TLS or network error. */
  call(method: string, path: string, options?: { body?: unknown; token?: string }): Promise<GatewayAnswer>;
  close(): void;
}

/** What the client needs of a cluster: an admin kubectl (a RunningNode's). */
export type ClusterAccess = Pick<RunningNode, 'kubectl'>;

/** The host name of the HTTPS listener of Gateway `namespace/name`. */
async function listenerHost(node: ClusterAccess, namespace: string, name: string): Promise<string> {
  const gateway = JSON.parse(await node.kubectl(['-n', namespace, 'get', 'gateway', name, '-o', 'json'])) as {
    spec: { listeners: { name: string; hostname?: string; protocol: string }[] };
  };
  const https = gateway.spec.listeners.find((l) => l.protocol === 'HTTPS');
  if (https?.hostname === undefined) throw new Error(`Gateway ${namespace}/${name} has no HTTPS listener hostname`);
  return https.hostname;
}

/**
 * A client for the platform behind Gateway `cf-apps/cf-gateway` (the tls-entry chart). `address`: where Traefik
 * answers on 443 when not at its Service's ClusterIP (a Traefik outside the cluster).
 */
export async function gatewayClient(
  node: ClusterAccess,
  options: { gateway?: { namespace: string; name: string }; address?: string } = {},
): Promise<GatewayClient> {
  const gateway = options.gateway ?? { namespace: 'cf-apps', name: 'cf-gateway' };
  const host = await listenerHost(node, gateway.namespace, gateway.name);
  const address =
    options.address ??
    (
      await node.kubectl([
        '-n',
        TRAEFIK_SERVICE.namespace,
        'get',
        'service',
        TRAEFIK_SERVICE.name,
        '-o',
        'jsonpath={.spec.clusterIP}',
      ])
    ).trim();
  const ca = Buffer.from(
    await node.kubectl([
      '-n',
      DEV_CA_SECRET.namespace,
      'get',
      'secret',
      DEV_CA_SECRET.name,
      '-o',
      'jsonpath={.data.tls\\.crt}',
    ]),
    'base64',
  ).toString('utf8');
  // Kept alive as a browser keeps its connection: a latency measured per call is the request's, not a handshake's.
  const agent = new Agent({ keepAlive: true, ca, servername: host });
  const call: GatewayClient['call'] = (method, path, options = {}) =>
    new Promise((resolve, reject) => {
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      const req = request(
        {
          agent,
          host: address,
          port: 443,
          servername: host,
          method,
          path,
          timeout: 30_000,
          headers: {
            host,
            origin: `https://${host}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
            ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: Record<string, unknown>;
            try {
              body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
            } catch {
              body = { text };
            }
            resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} https://${host}${path}: no answer in 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  return { host, address, call, close: () => agent.destroy() };
}
