import { problemResponse, type Logger } from '@cf/kit';
import type { Upstream } from './upstream.ts';

export interface Mount {
  upstream: Upstream;
  /** Upstream path prefix → public path prefix, e.g. `/auth` → `/api/auth`. */
  prefixes: Record<string, string>;
}

/** What the gateway itself answers on every route it forwards (besides what the upstream answers). */
const GATEWAY_ERRORS: Record<string, string> = {
  '429': 'too many requests from this address or user (the gateway’s limits; Retry-After)',
  '431': 'request headers too large',
  '502': 'the upstream service failed or answered too much',
  '503': 'the upstream service is unavailable, or session state is unknown for a moment (Retry-After)',
  '504': 'the upstream service did not answer in time',
};

/** The gateway checks tokens at the edge too (401), and cookie-carrying writes to `/auth` for CSRF (403). */
const EDGE_AUTH_ERRORS: Record<string, string> = { '401': 'no valid access token, or its session ended' };
const COOKIE_WRITE_ERRORS: Record<string, string> = { '403': 'a cross-site write carrying the refresh cookie' };

type OperationObject = { responses?: Record<string, unknown>; security?: unknown[] };

/** Adds the gateway's own statuses to an upstream operation, keeping the upstream's description where both answer. */
function withGatewayErrors(method: string, path: string, op: OperationObject): OperationObject {
  const own: Record<string, string> = { ...GATEWAY_ERRORS };
  const secured = (op.security ?? []).some(
    (requirement) => typeof requirement === 'object' && requirement !== null && 'bearer' in requirement,
  );
  if (secured) Object.assign(own, EDGE_AUTH_ERRORS);
  if (path.startsWith('/api/auth/') && method !== 'get') Object.assign(own, COOKIE_WRITE_ERRORS);
  const responses = { ...op.responses };
  for (const [status, description] of Object.entries(own)) responses[status] ??= problemResponse(status, description);
  return { ...op, responses };
}

/**
 * One OpenAPI document for the public API: each upstream's own document, with its paths moved under
 * the public prefixes the gateway routes, merged. Upstreams that are down are left out and named.
 */
export async function aggregateOpenApi(mounts: readonly Mount[], logger: Logger): Promise<Record<string, unknown>> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const securitySchemes: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const mount of mounts) {
    try {
      const response = await mount.upstream.send({ method: 'GET', path: '/openapi.json', headers: {} });
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      const document = JSON.parse(response.body.toString()) as {
        paths?: Record<string, unknown>;
        components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
      };
      for (const [path, item] of Object.entries(document.paths ?? {})) {
        const prefix = Object.keys(mount.prefixes).find(
          (candidate) => path === candidate || path.startsWith(`${candidate}/`),
        );
        if (prefix === undefined) continue;
        const publicPath = `${mount.prefixes[prefix]}${path.slice(prefix.length)}`;
        paths[publicPath] = Object.fromEntries(
          Object.entries(item as Record<string, OperationObject>).map(([method, op]) => [
            method,
            withGatewayErrors(method, publicPath, op),
          ]),
        );
      }
      Object.assign(schemas, document.components?.schemas ?? {});
      Object.assign(securitySchemes, document.components?.securitySchemes ?? {});
    } catch (error) {
      missing.push(mount.upstream.name);
      logger.warn({ err: error, upstream: mount.upstream.name }, 'OpenAPI document of an upstream is unavailable');
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Content Factory API',
      version: '0.1.0',
      description:
        missing.length > 0
          ? `Not included (unavailable): ${missing.join(', ')}`
          : 'The public API, as routed by api-gateway',
    },
    // Paths are already the public ones (`/api/...`), so the server is the origin itself.
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, ...securitySchemes },
      schemas,
    },
  };
}

/** A dependency-free page listing the operations; served only with DEBUG on. */
export function docsPage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Content Factory API</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Content Factory API</h1><p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a></p>
<ul id="ops"></ul></main>
<script src="/api/docs.js"></script></body></html>`;
}

export function docsScript(): string {
  return `fetch('/api/openapi.json').then((r) => r.json()).then((doc) => {
  const list = document.getElementById('ops');
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
    const li = document.createElement('li');
    li.textContent = method.toUpperCase() + ' ' + path + ' — ' + (op.summary || '');
    list.appendChild(li);
  }
});`;
}
