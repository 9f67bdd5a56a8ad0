import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server a test started on 127.0.0.1, on a port the kernel chose. */
export interface LoopbackServer {
  port: number;
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  origin: string;
  /** Ends every open connection (keep-alive ones too, which would hold `close` up), then stops listening. */
  close(): Promise<void>;
}

/**
 * Listens with `server` on 127.0.0.1 port 0 — the only address a test's own server binds (nothing a test starts
 * may be reachable from off this machine) — and resolves once it listens.
 */
export async function listenOnLoopback(server: Server): Promise<LoopbackServer> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
