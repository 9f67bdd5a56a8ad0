import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { REFRESH_COOKIE, requireRole } from '../auth/access-token.ts';
import { validate } from './validate.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type OperationAuth = 'none' | 'user' | 'admin';

export interface MountOptions {
  /** Verifies the access token (the kit's `requireJwt`); required when any operation is not `none`. */
  authenticate?: Middleware;
}

/**
 * One HTTP operation: its route, its input schemas and its handler. The same object registers the route
 * and describes it in the OpenAPI document, so validation and documentation cannot drift apart.
 */
export interface Operation<Body = unknown, Query = unknown> {
  method: Method;
  /** koa-router syntax, e.g. `/users/:id`. */
  path: string;
  summary: string;
  /** Default: the method and path in camelCase, e.g. `postAuthLogin`, `deleteAuthSessionsById`. */
  operationId?: string;
  tags?: string[];
  /** Also takes the refresh-token cookie (documented as an API key in a cookie, beside `auth`). */
  refreshCookie?: boolean;
  /**
   * Who may call it: `none` (public), `user` (a verified access token of a live session) or `admin` (that,
   * with the admin role). Mounting enforces it and the document declares it, from this one field.
   */
  auth: OperationAuth;
  body?: z.ZodType<Body>;
  query?: z.ZodType<Query>;
  /** Status code → description. */
  responses: Record<number, string>;
  /** Runs after authentication and before validation. */
  middleware?: Middleware[];
  handler(ctx: Context, input: { body: Body; query: Query }): unknown;
}

/** Keeps the generic types of each operation while collecting them in one list. */
export function operation<Body = unknown, Query = unknown>(definition: Operation<Body, Query>): Operation {
  return definition as unknown as Operation;
}

/**
 * Registers every operation on `router`, behind the authentication its `auth` names.
 * Throws at startup when an operation needs a token and no `authenticate` was given.
 */
export function mountOperations(router: Router, operations: readonly Operation[], options: MountOptions = {}): void {
  const admin = requireRole('admin');
  for (const op of operations) {
    const guard: Middleware[] = [];
    if (op.auth !== 'none') {
      if (options.authenticate === undefined) {
        throw new Error(`${op.method.toUpperCase()} ${op.path} needs auth '${op.auth}' but no authenticate was given`);
      }
      guard.push(options.authenticate);
      if (op.auth === 'admin') guard.push(admin);
    }
    const handle: Middleware = async (ctx) => {
      const body = op.body !== undefined ? validate(op.body, ctx.request.body) : undefined;
      const query = op.query !== undefined ? validate(op.query, ctx.query, 'query string') : undefined;
      await op.handler(ctx, { body, query });
    };
    router[op.method](op.path, ...guard, ...(op.middleware ?? []), handle);
  }
}

/** `post` + `/auth/sessions/:id` → `postAuthSessionsById`. */
export function defaultOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (segment.startsWith(':') ? `by-${segment.slice(1)}` : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '');
  return method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** `Retry-After` (seconds) on the statuses that carry it. */
const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer', minimum: 0 } } };

function schemaOf(type: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const schema = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete schema['$schema'];
  return schema;
}

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Prefix clients use in front of every path, e.g. `/api` behind the gateway. Default: none. */
  serverUrl?: string;
}

/** An OpenAPI 3.1 document of the operations, with request schemas generated from the validators. */
export function openApiDocument(info: ApiInfo, operations: readonly Operation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [...op.path.matchAll(/:(\w+)/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (op.query !== undefined) {
      const query = schemaOf(op.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
    }
    const documented: Record<number, string> = {};
    if (op.auth !== 'none') documented[401] = 'no valid access token, or its session ended';
    if (op.auth === 'admin') documented[403] = 'not an administrator';
    Object.assign(documented, op.responses);
    const responses = Object.fromEntries(
      Object.entries(documented).map(([status, description]) => [
        status,
        Number(status) >= 400
          ? {
              description,
              ...(status === '429' || status === '503' ? { headers: RETRY_AFTER } : {}),
              content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
            }
          : { description },
      ]),
    );
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      operationId: op.operationId ?? defaultOperationId(op.method, op.path),
      ...(op.tags ? { tags: op.tags } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body !== undefined
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body) } } } }
        : {}),
      responses,
      security: op.auth !== 'none' ? [{ bearer: [] }] : op.refreshCookie === true ? [{ refreshCookie: [] }, {}] : [],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        refreshCookie: { type: 'apiKey', in: 'cookie', name: REFRESH_COOKIE },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: {
              type: 'array',
              items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
            },
          },
          required: ['type', 'title', 'status'],
        },
      },
    },
  };
}
