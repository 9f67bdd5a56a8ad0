import test from 'ava';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import Router from '@koa/router';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { mountOperations, openApiDocument, operation, requireJwt, type Operation } from '@cf/kit';
import { dereferenced } from '../support/openapi-refs.ts';
import { operationsServerForFile } from './fixture.ts';

const issuer = 'https://issuer.test';
const audience = 'cf-test';
const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const reached: string[] = [];

const OK = { status: 200, description: 'ok', schema: z.object({ ok: z.boolean() }) } as const;

const operations: Operation[] = [
  operation({ method: 'get', path: '/open', summary: 'public', auth: 'none', success: OK, handler: open }),
  operation({ method: 'get', path: '/mine', summary: 'user', auth: 'user', success: OK, handler: open }),
  operation({ method: 'get', path: '/all', summary: 'admin', auth: 'admin', success: OK, handler: open }),
];

function open(ctx: { path: string; body: unknown }): void {
  reached.push(ctx.path);
  ctx.body = { ok: true };
}

function token(role: 'user' | 'admin', key: KeyObject = signing.privateKey): string {
  return jwt.sign({ sid: randomUUID(), role }, key, {
    algorithm: 'ES256',
    header: { alg: 'ES256', kid: 'k1', typ: 'at+jwt' },
    issuer,
    audience,
    subject: randomUUID(),
    expiresIn: 60,
  });
}

const keys = { key: async (kid: string) => (kid === 'k1' ? signing.publicKey : undefined) };
const server = operationsServerForFile('ops-test', operations, {
  authenticate: requireJwt({ keys, issuer, audience }),
});

async function get(path: string, bearer?: string): Promise<number> {
  reached.length = 0;
  const response = await fetch(`${server.url}${path}`, {
    headers: bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {},
  });
  await response.body?.cancel();
  return response.status;
}

test.serial('a public operation answers without a token', async (t) => {
  t.is(await get('/open'), 200);
});

test.serial('a user operation refuses a request without a token before its handler runs', async (t) => {
  t.is(await get('/mine'), 401);
  t.deepEqual(reached, []);
});

test.serial('a user operation runs for a verified token', async (t) => {
  t.is(await get('/mine', token('user')), 200);
  t.deepEqual(reached, ['/mine']);
});

test.serial('a token signed by another key is refused', async (t) => {
  t.is(await get('/mine', token('user', foreign.privateKey)), 401);
  t.deepEqual(reached, []);
});

test.serial('an admin operation refuses a user token with 403 before its handler runs', async (t) => {
  t.is(await get('/all', token('user')), 403);
  t.deepEqual(reached, []);
  t.is(await get('/all', token('admin')), 200);
});

test('the document declares bearer security and 401/403 exactly where the mount enforces them', (t) => {
  const paths = openApiDocument({ title: 't', version: '1' }, operations)['paths'] as Record<
    string,
    { get: { security: unknown[]; responses: Record<string, unknown> } }
  >;
  t.deepEqual(paths['/open']!.get.security, []);
  t.deepEqual(paths['/mine']!.get.security, [{ bearer: [] }]);
  t.deepEqual(paths['/all']!.get.security, [{ bearer: [] }]);
  t.deepEqual(Object.keys(paths['/open']!.get.responses).sort(), ['200', '431']);
  t.deepEqual(Object.keys(paths['/mine']!.get.responses).sort(), ['200', '401', '431']);
  t.deepEqual(Object.keys(paths['/all']!.get.responses).sort(), ['200', '401', '403', '431']);
});

test('every operation has an operationId, and 429s document Retry-After', (t) => {
  const document = openApiDocument({ title: 't', version: '1' }, [
    ...operations,
    operation({
      method: 'delete',
      path: '/things/:id',
      summary: 'x',
      auth: 'none',
      refreshCookie: true,
      success: { status: 204, description: 'gone' },
      errors: { 429: 'slow down' },
      handler: open,
    }),
  ]);
  const paths = document['paths'] as Record<string, Record<string, Record<string, unknown>>>;
  t.is(paths['/mine']!['get']!['operationId'], 'getMine');
  const thing = paths['/things/{id}']!['delete']!;
  t.is(thing['operationId'], 'deleteThingsById');
  t.deepEqual(thing['security'], [{ refreshCookie: [] }, {}]);
  const limited = dereferenced(
    document,
    (thing['responses'] as Record<string, { headers?: Record<string, unknown> }>)['429']!,
  );
  t.deepEqual(limited.headers?.['Retry-After'], {
    description: 'seconds to wait',
    schema: { type: 'integer', minimum: 0 },
  });
  const schemes = (document['components'] as { securitySchemes: Record<string, unknown> }).securitySchemes;
  t.deepEqual(schemes['refreshCookie'], { type: 'apiKey', in: 'cookie', name: 'cf_refresh' });
});

test('mounting a protected operation without an authenticator fails at startup', (t) => {
  t.throws(() => mountOperations(new Router(), operations), { message: /GET \/mine needs auth 'user'/ });
});
