import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { HttpProblem } from '@cf/kit';

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The deadline passed: told apart from the socket errors the destroyed request reports. */
class UpstreamTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * One upstream service behind a keep-alive pool of node:http connections. Failures become problems a client
 * can act on: refused or unreachable → 503 with Retry-After, timeout → 504, anything else on the wire → 502.
 * Only GETs are retried (once, on a connection failure), because only they are safe to repeat.
 *
 * node:http rather than undici's Pool: per request it allocates less (no dispatcher handler objects, no
 * AbortSignal, a body read from the socket's own events), and in bench/gateway.ts its hop costs what the bare
 * pass-through floor costs, which uses the same Agent.
 */
export class Upstream {
  readonly name: string;
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;

  constructor(name: string, url: string, timeoutMs: number) {
    this.name = name;
    this.timeoutMs = timeoutMs;
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:') throw new Error(`${name}: only http:// upstreams are supported, got ${url}`);
    this.host = parsed.hostname.replace(/^\[|\]$/g, '');
    this.port = parsed.port === '' ? 80 : Number(parsed.port);
    // LIFO: the most recently used socket is the one least likely to have been closed by the upstream's idle timer.
    this.agent = new Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 64, scheduling: 'lifo' });
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const attempts = request.method === 'GET' ? 2 : 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        return await this.exchange(request);
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        lastError = error;
        if (!isConnectionFailure(error)) break;
      }
    }
    throw this.problemFor(lastError);
  }

  /**
   * One request and its whole answer, at most MAX_RESPONSE_BYTES (502 past them), within `timeoutMs` from start
   * to the last byte: a timer cleared when the answer is in, not AbortSignal.timeout(), which stays armed after
   * every request and builds a DOMException when it fires (bench/gateway.ts profiles).
   */
  private exchange(request: UpstreamRequest): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = request.headers;
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      const outgoing = httpRequest({
        agent: this.agent,
        host: this.host,
        port: this.port,
        method: request.method,
        path: request.path,
        headers,
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        outgoing.destroy(new UpstreamTimeout(`${this.name} did not answer in time`));
      }, this.timeoutMs);
      // After the deadline the socket reports its own errors (ECONNRESET, "aborted"): the answer is still a timeout.
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        reject(timedOut ? new UpstreamTimeout(`${this.name} did not answer in time`) : error);
      };
      outgoing.once('error', fail);
      outgoing.once('response', (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            clearTimeout(timer);
            outgoing.destroy();
            reject(new HttpProblem(502, { detail: `${this.name} answered too much` }));
            return;
          }
          chunks.push(chunk);
        });
        answer.once('error', fail);
        answer.once('end', () => {
          clearTimeout(timer);
          resolve({
            status: answer.statusCode ?? 502,
            headers: answer.headers,
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
          });
        });
      });
      outgoing.end(request.body);
    });
  }

  private problemFor(error: unknown): HttpProblem {
    const code = (error as { code?: string }).code ?? '';
    const name = (error as { name?: string }).name ?? '';
    if (error instanceof UpstreamTimeout) {
      return new HttpProblem(504, { detail: `${this.name} did not answer in time` });
    }
    if (isConnectionFailure(error)) {
      return HttpProblem.unavailable(`${this.name} is unavailable; try again shortly`, 5);
    }
    return new HttpProblem(502, { detail: `${this.name} failed (${code || name || 'error'})` });
  }

  /** Closes the idle connections; requests in flight keep theirs until they end (the server drains them first). */
  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'EPIPE'].includes(code);
}
