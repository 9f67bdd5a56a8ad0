import { PROBLEM_SCHEMA, problemResponseDefinition, problemResponseName, type Logger } from '@cf/kit';
import { componentPrefix, mergeComponents, type Components } from './openapi-components.ts';
import type { Upstream } from './upstream.ts';

export interface Mount {
  upstream: Upstream;
  /** Upstream path prefix → public path prefix, e.g. `/auth` → `/api/auth`. */
  prefixes: Record<string, string>;
}

/** An answer the gateway itself gives: its status, and the name and description of its shared definition. */
interface GatewayAnswer {
  status: string;
  name: string;
  description: string;
}

/** What the gateway itself answers on every route it forwards (besides what the upstream answers). */
const GATEWAY_ERRORS: readonly GatewayAnswer[] = [
  {
    status: '429',
    name: 'GatewayRateLimited',
    description: 'too many requests from this address or user (the gateway’s limits; Retry-After)',
  },
  { status: '431', name: problemResponseName(431), description: 'request headers too large' },
  { status: '502', name: 'UpstreamFailed', description: 'the upstream service failed or answered too much' },
  {
    status: '503',
    name: 'UpstreamUnavailable',
    description: 'the upstream service is unavailable, or session state is unknown for a moment (Retry-After)',
  },
  { status: '504', name: 'UpstreamTimeout', description: 'the upstream service did not answer in time' },
];

/** The gateway checks tokens at the edge too (401), and cookie-carrying writes to `/auth` for CSRF (403). */
const EDGE_AUTH_ERROR: GatewayAnswer = {
  status: '401',
  name: problemResponseName(401),
  description: 'no valid access token, or its session ended',
};
const COOKIE_WRITE_ERROR: GatewayAnswer = {
  status: '403',
  name: 'CrossSiteCookieWrite',
  description: 'a cross-site write carrying the refresh cookie',
};

/**
 * The shared definitions of the gateway's answers, and the body they carry. Those the services answer in
 * the same words (401, 431) are the kit's own definitions, so the merge finds them identical.
 */
const GATEWAY_COMPONENTS: Components = {
  schemas: { Problem: PROBLEM_SCHEMA },
  responses: Object.fromEntries(
    [...GATEWAY_ERRORS, EDGE_AUTH_ERROR, COOKIE_WRITE_ERROR].map(({ status, name, description }) => [
      name,
      { ...problemResponseDefinition(status), description },
    ]),
  ),
};

type OperationObject = { responses?: Record<string, unknown>; security?: unknown[] };

/** Adds the gateway's own statuses to an upstream operation, keeping the upstream's answer where both answer. */
function withGatewayErrors(method: string, path: string, op: OperationObject): OperationObject {
  const own = [...GATEWAY_ERRORS];
  const secured = (op.security ?? []).some(
    (requirement) => typeof requirement === 'object' && requirement !== null && 'bearer' in requirement,
  );
  if (secured) own.push(EDGE_AUTH_ERROR);
  if (path.startsWith('/api/auth/') && method !== 'get') own.push(COOKIE_WRITE_ERROR);
  const responses = { ...op.responses };
  for (const { status, name } of own) responses[status] ??= { $ref: `#/components/responses/${name}` };
  return { ...op, responses };
}

/**
 * One OpenAPI document for the public API: each upstream's own document, with its paths moved under
 * the public prefixes the gateway routes, merged. Upstreams that are down are left out and named.
 */
export async function aggregateOpenApi(mounts: readonly Mount[], logger: Logger): Promise<Record<string, unknown>> {
  const paths: Record<string, unknown> = {};
  // The gateway's own: the bearer scheme it checks, and the problem answers it adds to every operation.
  const components: Components = {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  };
  mergeComponents(components, { components: GATEWAY_COMPONENTS }, 'Gateway');
  const tags = new Map<string, unknown>();
  const missing: string[] = [];
  for (const mount of mounts) {
    try {
      const response = await mount.upstream.send({ method: 'GET', path: '/openapi.json', headers: {} });
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      const document = mergeComponents(
        components,
        JSON.parse(response.body.toString()) as {
          paths?: Record<string, unknown>;
          tags?: { name: string }[];
          components?: Components;
        },
        componentPrefix(mount.upstream.name),
      );
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
      for (const tag of document.tags ?? []) tags.set(tag.name, tag);
    } catch (error) {
      missing.push(mount.upstream.name);
      logger.warn({ err: error, upstream: mount.upstream.name }, 'OpenAPI document of an upstream is unavailable');
    }
  }
  const usedTags = new Set(
    Object.values(paths).flatMap((item) =>
      Object.values(item as Record<string, { tags?: string[] }>).flatMap((op) => op.tags ?? []),
    ),
  );
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
    // Only the tags of the operations it routes (user-service's `internal` stays out).
    tags: [...tags.entries()].filter(([name]) => usedTags.has(name)).map(([, tag]) => tag),
    paths,
    components,
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
