import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from '../support/loopback-server.ts';

export interface ProbeRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An answer a probe gives instead of its default JSON echo. */
export interface ProbeAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

export interface Probe {
  url: string;
  requests: ProbeRequest[];
  /** Behaviour for the next requests: answer, hang, or drop the connection. */
  mode: 'answer' | 'hang' | 'drop-first';
  /** In `answer` mode, the answer to give a request; undefined (or none set) gives the default JSON echo. */
  script?: (request: ProbeRequest) => ProbeAnswer | undefined;
  close(): Promise<void>;
}

/**
 * A recording upstream for the gateway's own behaviour (which headers it forwards, how often it tries):
 * it stands in for no product, it is the instrument that observes what reaches a service.
 */
export async function startProbe(): Promise<Probe> {
  let dropped = new Set<string>();
  const probe: Probe = { url: '', requests: [], mode: 'answer', close: async () => {} };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      probe.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      if (probe.mode === 'hang') return;
      const key = `${request.method} ${request.url}`;
      if (probe.mode === 'drop-first' && !dropped.has(key)) {
        dropped.add(key);
        request.socket.destroy();
        return;
      }
      const scripted = probe.script?.(probe.requests.at(-1)!);
      if (scripted !== undefined) {
        response.writeHead(scripted.status, scripted.headers);
        response.end(scripted.body);
        return;
      }
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ ok: true, method: request.method, url: request.url }));
    });
  });
  const listening = await listenOnLoopback(server);
  probe.url = listening.origin;
  probe.close = async () => {
    dropped = new Set();
    await listening.close();
  };
  return probe;
}
