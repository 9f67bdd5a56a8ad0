import { HttpProblem } from '@cf/kit';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';

export interface UpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * One upstream service behind a keep-alive connection pool. Failures become problems a client can act on:
 * refused or unreachable → 503 with Retry-After, timeout → 504, anything else on the wire → 502.
 * Only GETs are retried (once, on a connection failure), because only they are safe to repeat.
 */
export class Upstream {
  readonly name: string;
  private readonly pool: Pool;
  private readonly timeoutMs: number;

  constructor(name: string, url: string, timeoutMs: number) {
    this.name = name;
    this.timeoutMs = timeoutMs;
    this.pool = new Pool(url, {
      connections: 64,
      keepAliveTimeout: 30_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const attempts = request.method === 'GET' ? 2 : 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      // The whole exchange's deadline. A timer cleared when the answer is in, not AbortSignal.timeout(): that one
      // stays armed after every request and builds a DOMException when it fires (bench/gateway.ts profiles).
      const deadline = new AbortController();
      const timer = setTimeout(
        () => deadline.abort(new DOMException(`${this.name} did not answer in time`, 'TimeoutError')),
        this.timeoutMs,
      );
      try {
        const response = await this.pool.request({
          method: request.method as 'GET',
          path: request.path,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: deadline.signal,
        });
        return {
          status: response.statusCode,
          headers: response.headers as Record<string, string | string[]>,
          body: await this.readBody(response.body),
        };
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        lastError = error;
        if (!isConnectionFailure(error)) break;
      } finally {
        clearTimeout(timer);
      }
    }
    throw this.problemFor(lastError);
  }

  /**
   * The answer's bytes, at most MAX_RESPONSE_BYTES (502 past them). Read from the stream's events rather than its
   * async iterator, which costs an iterator and a promise per chunk on every request.
   */
  private readBody(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          body.destroy();
          reject(new HttpProblem(502, { detail: `${this.name} answered too much` }));
          return;
        }
        chunks.push(chunk);
      });
      body.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
      body.once('error', reject);
    });
  }

  private problemFor(error: unknown): HttpProblem {
    const code = (error as { code?: string }).code ?? '';
    const name = (error as { name?: string }).name ?? '';
    if (
      error instanceof undiciErrors.HeadersTimeoutError ||
      error instanceof undiciErrors.BodyTimeoutError ||
      name === 'TimeoutError' ||
      name === 'AbortError'
    ) {
      return new HttpProblem(504, { detail: `${this.name} did not answer in time` });
    }
    if (isConnectionFailure(error)) {
      return HttpProblem.unavailable(`${this.name} is unavailable; try again shortly`, 5);
    }
    return new HttpProblem(502, { detail: `${this.name} failed (${code || name || 'error'})` });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return [
    'ECONNREFUSED',
    'ECONNRESET',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
  ].includes(code);
}
