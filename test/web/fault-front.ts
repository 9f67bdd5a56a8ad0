import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A pass-through HTTP front for a real service that can be told to answer the next few matching requests itself. */
export interface FaultFront {
  /** `http://127.0.0.1:<port>`: give this to the gateway instead of the service's own URL. */
  url: string;
  /**
   * The next `times` requests `method path` (path without query) are answered `status` as a problem, with
   * `Retry-After: retryAfterSeconds` when given, instead of reaching the service.
   */
  failNext(method: string, path: string, times: number, status: number, retryAfterSeconds?: number): void;
  /** How many requests were answered by a fault so far. */
  readonly faulted: number;
  close(): Promise<void>;
}

export async function startFaultFront(target: string): Promise<FaultFront> {
  const faults: { method: string; path: string; left: number; status: number; retryAfter: number | undefined }[] = [];
  let faulted = 0;
  const server = createServer((incoming, answer) => {
    const path = (incoming.url ?? '/').split('?')[0];
    const fault = faults.find((each) => each.left > 0 && each.method === incoming.method && each.path === path);
    if (fault !== undefined) {
      fault.left -= 1;
      faulted += 1;
      incoming.resume();
      answer.writeHead(fault.status, {
        'content-type': 'application/problem+json',
        ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}),
      });
      answer.end(JSON.stringify({ type: 'about:blank', title: 'injected by the test', status: fault.status }));
      return;
    }
    const forward = request(
      new URL(incoming.url ?? '/', target),
      { method: incoming.method, headers: incoming.headers },
      (upstream) => {
        answer.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(answer);
      },
    );
    forward.on('error', () => answer.destroy());
    incoming.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failNext(method, path, times, status, retryAfterSeconds) {
      faults.push({ method, path, left: times, status, retryAfter: retryAfterSeconds });
    },
    get faulted() {
      return faulted;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
