// The gateway's koa app with and without its proxy lane in front, for tests that hold the two answer alike.
import Koa from 'koa';
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { Gateway } from '../../services/api-gateway/src/app.ts';
import { fileFixture } from '../support/file-fixture.ts';
import { listenOnLoopback } from '../support/loopback-server.ts';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Sent {
  method: string;
  /** Request target as written on the request line: a path, or an absolute URL. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request over a fresh connection, written as given (no client library adds or fixes anything). */
export async function send(base: string, sent: Sent): Promise<Answer> {
  const { port } = new URL(base);
  const outgoing = request({
    host: '127.0.0.1',
    port,
    method: sent.method,
    path: sent.path,
    headers: sent.headers ?? {},
    agent: false,
  });
  outgoing.end(sent.body);
  const [incoming] = (await once(outgoing, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return { status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) };
}

/** Servers made from one gateway: `lane` as it runs, `koa` its koa app alone, both seeing `koaSaw`. */
export interface LanePair {
  lane: string;
  koa: string;
  /** The request ids koa handled (the lane's never reach it). */
  koaSaw: string[];
  close(): Promise<void>;
}

/** A `LanePair` of the gateway `gateway()` names, for every test of a file (started after that gateway). */
export function lanePairForFile(gateway: () => Gateway): LanePair {
  return fileFixture<LanePair>(
    async () => {
      const app = gateway().app;
      const koaSaw: string[] = [];
      // In front of koa's own middleware: records what koa handles, for both servers below.
      app.middleware.unshift((ctx, next) => {
        koaSaw.push(ctx.get('x-request-id'));
        return next();
      });
      const servers: Server[] = [
        createServer(app.callback()),
        // Koa's own callback, without the lane the gateway puts in front of it.
        createServer(Koa.prototype.callback.call(app)),
      ];
      const [lane, koa] = await Promise.all(servers.map(listenOnLoopback));
      return {
        lane: lane!.origin,
        koa: koa!.origin,
        koaSaw,
        close: async () => {
          await Promise.all([lane!.close(), koa!.close()]);
        },
      };
    },
    (pair) => pair.close(),
  );
}

/**
 * Headers that differ between any two answers by nature, not by who made them; the request id differs because each
 * request is sent with its own (to tell which of them koa saw), and is checked on its own.
 */
const PER_ANSWER = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

/** An answer as two that should be alike are compared: status, headers less `PER_ANSWER`, body bytes (base64). */
export function comparable(
  answer: Answer,
  ignored: string[] = [],
): { status: number; headers: Record<string, unknown>; body: string } {
  const headers = Object.fromEntries(
    Object.entries(answer.headers).filter(([name]) => !PER_ANSWER.has(name) && !ignored.includes(name)),
  );
  return { status: answer.status, headers, body: answer.body.toString('base64') };
}
