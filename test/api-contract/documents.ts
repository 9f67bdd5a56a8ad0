import { dereferenced } from '../support/openapi-refs.ts';
import type { Platform } from './platform.ts';

export interface LinkObject {
  operationId?: string;
  parameters?: Record<string, string>;
}

export interface OperationObject {
  operationId?: string;
  parameters?: { name: string; in: string }[];
  security?: Record<string, unknown>[];
  requestBody?: unknown;
  responses: Record<
    string,
    {
      description?: string;
      content?: Record<string, { schema?: unknown }>;
      headers?: Record<string, unknown>;
      links?: Record<string, LinkObject>;
    }
  >;
}

export interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, OperationObject>>;
}

/** Every document the platform publishes, by name, as the running services serve them. */
export async function publishedDocuments(platform: Platform): Promise<Record<string, OpenApiDocument>> {
  const urls: Record<string, string> = {
    'user-service': `${platform.users.url}/openapi.json`,
    ...(platform.integration !== undefined
      ? { 'integration-service': `${platform.integration.url}/openapi.json` }
      : {}),
    'api-gateway': `${platform.url}/api/openapi.json`,
  };
  const documents: Record<string, OpenApiDocument> = {};
  for (const [name, url] of Object.entries(urls)) {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`${name}'s document: status ${response.status}`);
    documents[name] = (await response.json()) as OpenApiDocument;
  }
  return documents;
}

export const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/**
 * `[method, path, operation]` of every operation of a document, each answer read through its reference to
 * the document's shared answers (`components.responses`), as a client reads it.
 */
export function operationsOf(document: OpenApiDocument): [string, string, OperationObject][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (METHODS as readonly string[]).includes(method))
      .map(([method, op]): [string, string, OperationObject] => [
        method,
        path,
        {
          ...op,
          responses: Object.fromEntries(
            Object.entries(op.responses).map(([status, answer]) => [status, dereferenced(document, answer)]),
          ),
        },
      ]),
  );
}
