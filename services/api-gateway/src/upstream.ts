import { HttpProblem } from '@cf/kit';
import { Pool, errors as undiciErrors } from 'undici';

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
      try {
        const response = await this.pool.request({
          method: request.method as 'GET',
          path: request.path,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of response.body) {
          size += (chunk as Buffer).length;
          if (size > MAX_RESPONSE_BYTES) throw new HttpProblem(502, { detail: `${this.name} answered too much` });
          chunks.push(chunk as Buffer);
        }
        return {
          status: response.statusCode,
          headers: response.headers as Record<string, string | string[]>,
          body: Buffer.concat(chunks),
        };
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        lastError = error;
        if (!isConnectionFailure(error)) break;
      }
    }
    throw this.problemFor(lastError);
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
