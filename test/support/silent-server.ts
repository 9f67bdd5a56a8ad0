import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/** A TCP server that accepts connections and never answers: a hung database or peer, for deadline tests. */
export interface SilentServer {
  /** The port on 127.0.0.1 it listens on. */
  port: number;
  /** Drops every accepted connection and stops listening. */
  close(): void;
}

/**
 * A TCP server on a free port of 127.0.0.1 that hands each accepted socket to `handle`; `close` destroys every
 * socket it accepted and every one `handle` passed to `track` (e.g. a proxy's upstream connections).
 */
export async function startLoopbackServer(
  handle: (socket: Socket, track: (socket: Socket) => void) => void,
): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((socket) => {
    track(socket);
    handle(socket, track);
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

/** Starts a silent server on 127.0.0.1 on a free port. */
export function startSilentServer(): Promise<SilentServer> {
  // The client gives up at its deadline and resets the connection: expected, not a failure here.
  return startLoopbackServer((socket) => socket.on('error', () => undefined));
}
