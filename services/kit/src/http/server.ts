import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
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

/** Statuses Node's parser reports before any middleware runs, by its error code. */
const PARSER_ERRORS: Record<string, { status: number; title: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    title: 'Request Header Fields Too Large',
    detail: 'the request headers exceed 16 KiB',
  },
  HPE_URI_TOO_LONG: { status: 414, title: 'URI Too Long', detail: 'the request target is too long' },
};

/**
 * Node answers a request it cannot parse (e.g. a 64 KiB header) itself, with an empty body; this gives it
 * the same RFC 9457 problem shape as every other error, then closes the connection.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (error.code === 'ECONNRESET' && socket.destroyed)) {
    socket.destroy();
    return;
  }
  const known = PARSER_ERRORS[error.code ?? ''];
  const problem = known ?? { status: 400, title: 'Bad Request', detail: 'the request could not be parsed' };
  const body = JSON.stringify({ type: 'about:blank', ...problem });
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function listen(app: Koa, options: ListenOptions): Promise<RunningServer> {
  const server = app.listen(options.port, options.host ?? '127.0.0.1');
  server.on('clientError', answerClientError);
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
  /** Runs before the server stops accepting, e.g. to answer held long polls. Errors are logged. */
  beforeClose?: () => Promise<void>;
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
    await options.beforeClose?.().catch((error: unknown) => {
      code = 1;
      options.logger.error({ err: error }, 'pre-close step failed');
    });
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
