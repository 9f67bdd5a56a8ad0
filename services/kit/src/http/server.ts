import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Logger } from '../logger.ts';

export interface RunningServer {
  server: Server;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

export interface ListenOptions {
  port: number;
  /** Default: `127.0.0.1`; containers pass `0.0.0.0`. */
  host?: string;
}

export async function listen(app: Koa, options: ListenOptions): Promise<RunningServer> {
  const server = app.listen(options.port, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  // Slowloris-style clients must not hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

export interface ShutdownOptions {
  logger: Logger;
  server: RunningServer;
  /** Run after the server stopped, in order: close pools, revoke leases, flush. */
  cleanup?: (() => Promise<void>)[];
  graceMs?: number;
  /** Default: exits the process with 0 when done, 1 when cleanup failed. */
  exit?: (code: number) => void;
}

/** On SIGTERM or SIGINT: stop accepting, finish in-flight requests, run cleanup, exit 0. */
export function shutdownOnSignals(options: ShutdownOptions): void {
  let started = false;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) return;
    started = true;
    options.logger.info({ signal }, 'shutting down');
    let code = 0;
    await options.server.close(options.graceMs);
    for (const step of options.cleanup ?? []) {
      try {
        await step();
      } catch (error) {
        code = 1;
        options.logger.error({ err: error }, 'cleanup step failed');
      }
    }
    options.logger.info({ code }, 'stopped');
    exit(code);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
