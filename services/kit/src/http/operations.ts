import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import { z } from 'zod';
import { REFRESH_COOKIE, requireRole } from '../auth/access-token.ts';
import { linksOf, pathParameters, type OperationLink } from './links.ts';
import { PROBLEM_SCHEMA, problemResponse, problemResponseDefinitions, SchemaComponents } from './openapi-components.ts';
import { validate } from './validate.ts';

export type { OperationLink } from './links.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type OperationAuth = 'none' | 'user' | 'admin';

/** Error statuses a handler may declare beyond those the kit documents itself (see `openApiDocument`). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 502 | 503 | 504;

/**
 * The answer when the operation succeeds. A body is described by the zod schema of what the handler sends
 * (documented as its JSON Schema output form); only 204 has none. Required, so no route goes undocumented.
 */
export type Success =
  { status: 200 | 201 | 202; description: string; schema: z.ZodType } | { status: 204; description: string };

export interface MountOptions {
  /** Verifies the access token (the kit's `requireJwt`); required when any operation is not `none`. */
  authenticate?: Middleware;
}

/**
 * One HTTP operation: its route, its input and output schemas and its handler. The same object registers
 * the route and describes it in the OpenAPI document, so validation and documentation cannot drift apart.
 */
export interface Operation<Body = unknown, Query = unknown> {
  method: Method;
  /** koa-router syntax, e.g. `/users/:id`. */
  path: string;
  summary: string;
  /** Default: the method and path in camelCase, e.g. `postAuthLogin`, `deleteAuthSessionsById`. */
  operationId?: string;
  tags?: readonly string[];
  /** Also takes the refresh-token cookie (documented as an API key in a cookie, beside `auth`). */
  refreshCookie?: boolean;
  /**
   * Who may call it: `none` (public), `user` (a verified access token of a live session) or `admin` (that,
   * with the admin role). Mounting enforces it and the document declares it, from this one field.
   */
  auth: OperationAuth;
  body?: z.ZodType<Body>;
  query?: z.ZodType<Query>;
  /**
   * Path parameters that are not UUIDs, by name → their schema (e.g. a base64url WebAuthn credential id).
   * Default: every path parameter is a UUID; a segment its schema refuses does not match the route.
   */
  pathParams?: Record<string, z.ZodType<string>>;
  success: Success;
  /**
   * OpenAPI links from the success answer to operations of the same document that take a value of it
   * (link name → target `operationId` and runtime expressions for its path parameters). Checked when the
   * document is built: a link to an unknown operation or parameter fails at start. Default: none.
   */
  links?: Record<string, OperationLink>;
  /**
   * Error statuses the handler itself answers → when. Those the kit answers (400 for bad input, 401/403 by
   * `auth`, 413/415 for bodies, 431) are added by `openApiDocument`; a description here replaces its own.
   */
  errors?: Partial<Record<ErrorStatus, string>>;
  /** Runs after authentication and before validation. */
  middleware?: Middleware[];
  handler(ctx: Context, input: { body: Body; query: Query }): unknown;
}

/** Keeps the generic types of each operation while collecting them in one list. */
export function operation<Body = unknown, Query = unknown>(definition: Operation<Body, Query>): Operation {
  return definition as unknown as Operation;
}

/** What a group of operations shares: who may call them and their tags (see `operationGroup`). */
export interface GroupDefaults {
  auth: OperationAuth;
  tags?: readonly string[];
  /**
   * The group's resource named by a path parameter may not exist (or not be the caller's): every operation
   * with one answers 404, described so, unless it describes its 404 itself.
   */
  notFound?: string;
}

/**
 * One operation of a group: what the group and its headline (method, path, summary) do not already say;
 * `auth` and `tags` only where they differ.
 */
export type GroupMember<Body, Query> = Omit<Operation<Body, Query>, 'method' | 'path' | 'summary' | 'auth'> & {
  auth?: OperationAuth;
};

type Declare = <Body = unknown, Query = unknown>(
  path: string,
  summary: string,
  definition: GroupMember<Body, Query>,
) => Operation;

/**
 * Operations that share who may call them and their tags (a resource's routes, a console's), each declared
 * by its headline — method, path and summary, as a route table reads — and what is its own:
 * `const bots = operationGroup({ auth: 'user', tags: ['bots'] }); bots.get('/telegram/bots', 'The caller’s bots',
 * { success, handler })`.
 */
export function operationGroup(defaults: GroupDefaults): Record<Method, Declare> {
  const { notFound, ...shared } = defaults;
  const declare =
    (method: Method): Declare =>
    (path, summary, definition) => {
      const missing = notFound !== undefined && pathParameters(path).length > 0 ? { 404: notFound } : {};
      const errors = { ...missing, ...definition.errors };
      return operation({ ...shared, ...definition, method, path, summary, errors } as Operation);
    };
  return {
    get: declare('get'),
    post: declare('post'),
    put: declare('put'),
    patch: declare('patch'),
    delete: declare('delete'),
  };
}

/** RFC 9562 text form, any version (what the document's `format: uuid` admits). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Registers every operation on `router`, behind the authentication its `auth` names.
 * Throws at startup when an operation needs a token and no `authenticate` was given.
 *
 * Every path parameter names a resource by its UUID (so the document says, see `openApiDocument`): a
 * segment that is not one does not match the route at all. `DELETE /telegram/channels/available` is then
 * a method the literal route lacks (405 with `Allow`), not a lookup of channel "available" (404), and
 * `GET /posts/x` is a 404 without running authentication or the handler (issue 22, Schemathesis ST204).
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
    const chain = compose([...guard, ...(op.middleware ?? []), handle]);
    const accepts = pathParameters(op.path).map((name): [string, (value: string) => boolean] => {
      const schema = op.pathParams?.[name];
      return [name, schema !== undefined ? (value) => schema.safeParse(value).success : (value) => UUID.test(value)];
    });
    router[op.method](op.path, (ctx, next) =>
      accepts.every(([name, accept]) => accept(String(ctx.params[name]))) ? chain(ctx, next) : next(),
    );
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

const METHODS_WITH_BODY = new Set<Method>(['post', 'put', 'patch', 'delete']);

/**
 * Every error status an operation can answer: what the kit itself answers for it, then what its handler
 * declares (which wins for the description). 400: a body or query that fails validation, or a body that is
 * not JSON; 413/415: any body too large or not JSON (`jsonBody` runs for every method that may carry one);
 * 431: headers over Node's 16 KiB (`listen`); 401/403 by `auth`, plus `info.authErrors` for those.
 */
function errorsOf(op: Operation, info: ApiInfo): Record<string, string> {
  const errors: Record<string, string> = {};
  if (op.body !== undefined || op.query !== undefined || METHODS_WITH_BODY.has(op.method)) {
    errors['400'] = 'invalid input';
  }
  if (op.auth !== 'none') {
    errors['401'] = 'no valid access token, or its session ended';
    Object.assign(errors, info.authErrors);
  }
  if (op.auth === 'admin') errors['403'] = 'not an administrator';
  if (METHODS_WITH_BODY.has(op.method)) {
    errors['413'] = 'request body too large';
    errors['415'] = 'request body is not application/json';
  }
  errors['431'] = 'request headers too large';
  return { ...errors, ...(op.errors as Record<string, string> | undefined) };
}

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Prefix clients use in front of every path. Default: `/`, where the service answers. */
  serverUrl?: string;
  /**
   * Statuses the `authenticate` middleware may answer beyond 401, on every operation that needs a token
   * (e.g. 503 when a session's state cannot be checked). Default: none.
   */
  authErrors?: Partial<Record<ErrorStatus, string>>;
  /**
   * Zod schemas the document states once, under `components.schemas`, by name: every body, answer or field
   * that is one of them refers to it (the same zod object). `Problem` is the kit's own. Default: none.
   */
  schemas?: Readonly<Record<string, z.ZodType>>;
}

/** An OpenAPI 3.1 document of the operations, with request and response schemas generated from the zod types. */
export function openApiDocument(info: ApiInfo, operations: readonly Operation[]): Record<string, unknown> {
  if (info.schemas?.['Problem'] !== undefined) throw new Error('the schema name Problem is the kit’s own');
  const named = new SchemaComponents(info.schemas);
  const errorStatuses = new Set<string>();
  const paths: Record<string, Record<string, unknown>> = {};
  const byId = new Map(operations.map((op) => [op.operationId ?? defaultOperationId(op.method, op.path), op]));
  for (const op of operations) {
    const operationId = op.operationId ?? defaultOperationId(op.method, op.path);
    const links = linksOf({ ...op, operationId }, byId);
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    // Every path parameter of this API names a resource by its UUID (handlers answer 404 for anything else), so
    // the document says so: clients and contract tests then send ids, not arbitrary text the edge refuses.
    const parameters: unknown[] = pathParameters(op.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      schema:
        op.pathParams?.[name] !== undefined ? named.inline(op.pathParams[name]) : { type: 'string', format: 'uuid' },
    }));
    if (op.query !== undefined) {
      const query = named.inline(op.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
    }
    const success = op.success;
    const responses: Record<string, unknown> = {
      [success.status]: {
        description: success.description,
        ...(success.status !== 204
          ? { content: { 'application/json': { schema: named.schemaOf(success.schema, 'output') } } }
          : {}),
        ...(Object.keys(links).length > 0 ? { links } : {}),
      },
    };
    for (const [status, description] of Object.entries(errorsOf(op, info))) {
      responses[status] = problemResponse(status, description);
      errorStatuses.add(status);
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      operationId,
      ...(op.tags ? { tags: op.tags } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body !== undefined
        ? {
            requestBody: {
              // A body whose schema accepts none (e.g. a refresh token that may come as a cookie) is optional.
              required: !op.body.safeParse(undefined).success,
              content: { 'application/json': { schema: named.schemaOf(op.body) } },
            },
          }
        : {}),
      responses,
      security: op.auth !== 'none' ? [{ bearer: [] }] : op.refreshCookie === true ? [{ refreshCookie: [] }, {}] : [],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    servers: [{ url: info.serverUrl ?? '/' }],
    // Every tag an operation uses, declared once (OpenAPI's global tag list), in order of first use.
    tags: [...new Set(operations.flatMap((op) => op.tags ?? []))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        refreshCookie: { type: 'apiKey', in: 'cookie', name: REFRESH_COOKIE },
      },
      schemas: { Problem: PROBLEM_SCHEMA, ...named.definitions() },
      responses: problemResponseDefinitions(errorStatuses),
    },
  };
}
