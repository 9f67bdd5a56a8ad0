import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/** A TCP server that accepts connections and never answers: a hung database or peer, for deadline tests. */
export interface SilentServer {
  /** The port on 127.0.0.1 it listens on. */
  port: number;
  /** Drops every accepted connection and stops listening. */
  close(): void;
}

/** Starts a silent server on 127.0.0.1 on a free port. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    // The client gives up at its deadline and resets the connection: expected, not a failure here.
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
