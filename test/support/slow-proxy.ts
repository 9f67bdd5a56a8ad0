import { connect } from 'node:net';
import { startLoopbackServer, type SilentServer } from './silent-server.ts';

/**
 * A TCP proxy on 127.0.0.1 in front of `target` whose first `slowConnections` connections start only after
 * `delayMs` (bytes wait, nothing is lost): a PostgreSQL that is up but slow to open connections, as under CPU load.
 */
export function startSlowProxy(
  target: { host: string; port: number },
  options: { slowConnections: number; delayMs: number },
): Promise<SilentServer> {
  let accepted = 0;
  return startLoopbackServer((client, track) => {
    accepted += 1;
    const delayMs = accepted <= options.slowConnections ? options.delayMs : 0;
    client.pause();
    const upstream = connect(target.port, target.host);
    track(upstream);
    for (const socket of [client, upstream]) {
      // The client gives up at its connect deadline and resets the connection: expected here.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    setTimeout(() => {
      client.pipe(upstream).pipe(client);
      client.resume();
    }, delayMs).unref();
  });
}
