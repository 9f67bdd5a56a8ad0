// Proxies for vault-unsealer tests: one that counts the operator's Vault calls, one that freezes its
// connection to the real kube-apiserver, and the API server's own request counts.
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from './process.ts';

/**
 * An HTTP proxy in front of one Vault that counts requests by path (`sys/unseal`, `sys/seal-status`, ...):
 * the operator reaches Vault only through it, so the counts are every Vault call the operator made.
 */
export interface CountingProxy {
  /** `http://<host>:<port>`: what the pod's address template renders to. */
  address: string;
  counts: Map<string, number>;
  count(path: string): number;
  total(): number;
  stop(): Promise<void>;
}

export async function countingVaultProxy(host: string, port: number, target: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const upstream = new URL(target);
  const server = createHttpServer((request, response) => {
    const path = (request.url ?? '').replace(/^\/v1\//, '').split('?')[0] ?? '';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
        timeout: 10_000,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on('error', () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    address: `http://${host}:${port}`,
    counts,
    count: (path) => counts.get(path) ?? 0,
    total: () => [...counts.values()].reduce((sum, value) => sum + value, 0),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy in front of the real kube-apiserver that can be frozen: while frozen it keeps every connection
 * open and accepts new ones but passes no byte either way — an API server that hangs mid-request.
 */
export interface FreezableProxy {
  /** `https://127.0.0.1:<port>` (the API server's certificate covers 127.0.0.1). */
  server: string;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

export async function freezableProxy(target: string): Promise<FreezableProxy> {
  const upstream = new URL(target);
  let frozen = false;
  const pairs = new Set<{ client: Socket; server: Socket }>();
  const pause = (pair: { client: Socket; server: Socket }): void => {
    pair.client.pause();
    pair.server.pause();
  };
  const proxy = createTcpServer((client) => {
    const server = connect(Number(upstream.port), upstream.hostname);
    const pair = { client, server };
    pairs.add(pair);
    client.pipe(server);
    server.pipe(client);
    if (frozen) pause(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    server: `https://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
      for (const pair of pairs) pause(pair);
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) {
        pair.client.resume();
        pair.server.resume();
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.server.destroy();
        }
        proxy.close(() => resolve());
      }),
  };
}

/** The admin kubeconfig pointed at another server address (a proxy in front of the same API server). */
export function kubeConfigVia(admin: KubeConfig, server: string): KubeConfig {
  const cluster = admin.getCurrentCluster()!;
  const user = admin.getCurrentUser()!;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ ...cluster, name: 'via', server }],
    users: [{ ...user, name: 'via' }],
    contexts: [{ name: 'via', cluster: 'via', user: 'via' }],
    currentContext: 'via',
  });
  return kubeConfig;
}

/**
 * kube-apiserver's own count of requests it served (`apiserver_request_total`), summed over the series that
 * match `resource` and `verb`: the API calls every client made, counted by the server.
 */
export async function apiServerRequests(admin: KubeConfig, resource: string, verb: string): Promise<number> {
  const cluster = admin.getCurrentCluster()!;
  const options: { headers: Record<string, string>; ca?: string; cert?: string; key?: string } = { headers: {} };
  await admin.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
  const text = await new Promise<string>((resolve, reject) => {
    const request = httpsGet(`${cluster.server}/metrics`, { ...options, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    if (!line.includes(`resource="${resource}"`) || !line.includes(`verb="${verb}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
