import test from 'ava';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { openApiDocument, operation, type Operation } from '@cf/kit';
import { operationsServerForFile } from './fixture.ts';

// Issue 22: OpenAPI links come from the same declarations as the routes, and a path parameter is an id.
const Thing = z.object({ id: z.uuid() });
const reached: string[] = [];
const handle = (ctx: { method: string; path: string; body: unknown }): void => {
  reached.push(`${ctx.method} ${ctx.path}`);
  ctx.body = { id: randomUUID() };
};
const ok = { status: 200, description: 'the thing', schema: Thing } as const;

const things: Operation[] = [
  operation({
    method: 'post',
    path: '/things',
    summary: 'create',
    auth: 'none',
    success: { status: 201, description: 'created', schema: Thing },
    links: {
      getThing: { operationId: 'getThingsById', parameters: { id: '$response.body#/id' } },
      removeThing: { operationId: 'deleteThingsById', parameters: { id: '$response.body#/id' }, description: 'x' },
    },
    handler: handle,
  }),
  operation({ method: 'get', path: '/things/special', summary: 'literal', auth: 'none', success: ok, handler: handle }),
  operation({ method: 'get', path: '/things/:id', summary: 'read', auth: 'none', success: ok, handler: handle }),
  operation({
    method: 'get',
    path: '/keys/:keyId',
    summary: 'a non-UUID id',
    auth: 'none',
    pathParams: { keyId: z.string().regex(/^[A-Za-z0-9_-]{16,}$/) },
    success: ok,
    handler: handle,
  }),
  operation({
    method: 'delete',
    path: '/things/:id',
    summary: 'remove',
    auth: 'none',
    success: { status: 204, description: 'removed' },
    handler: handle,
  }),
];

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { links?: unknown }> }>> };

test('links declared on an operation appear on its success answer', (t) => {
  const document = openApiDocument({ title: 't', version: '1' }, things) as Doc;
  t.deepEqual(document.paths['/things']?.['post']?.responses['201']?.links, {
    getThing: { operationId: 'getThingsById', parameters: { id: '$response.body#/id' } },
    removeThing: { operationId: 'deleteThingsById', parameters: { id: '$response.body#/id' }, description: 'x' },
  });
  t.is(document.paths['/things/{id}']?.['get']?.responses['200']?.links, undefined);
});

const withLink = (link: { operationId: string; parameters: Record<string, string> }): Operation[] => [
  operation({ ...things[0]!, links: { broken: link } }),
  ...things.slice(1),
];

test('a link to an unknown operation, parameter or expression fails when the document is built', (t) => {
  const build = (link: { operationId: string; parameters: Record<string, string> }) => () =>
    openApiDocument({ title: 't', version: '1' }, withLink(link));
  t.throws(build({ operationId: 'getGone', parameters: { id: '$response.body#/id' } }), { message: /no operation/ });
  t.throws(build({ operationId: 'getThingsById', parameters: { thingId: '$response.body#/id' } }), {
    message: /no parameter thingId/,
  });
  t.throws(build({ operationId: 'getThingsById', parameters: { id: 'id' } }), { message: /not a runtime expression/ });
  t.throws(build({ operationId: 'getThingsById', parameters: {} }), { message: /no value for id/ });
  t.throws(build({ operationId: 'getThingsById', parameters: { id: '$request.path.id' } }), {
    message: /no path parameter id/,
  });
});

const server = operationsServerForFile('links-test', things);

async function send(method: string, path: string): Promise<{ status: number; allow: string | null }> {
  reached.length = 0;
  const response = await fetch(`${server.url}${path}`, { method });
  await response.body?.cancel();
  return { status: response.status, allow: response.headers.get('allow') };
}

test.serial('a path parameter route takes ids only', async (t) => {
  const id = randomUUID();
  t.is((await send('GET', `/things/${id}`)).status, 200);
  t.deepEqual(reached, [`GET /things/${id}`]);
  t.is((await send('GET', '/things/not-an-id')).status, 404);
  t.deepEqual(reached, [], 'the handler did not run');
});

test.serial('a path parameter declared with its own schema takes what that schema accepts', async (t) => {
  t.is((await send('GET', '/keys/AbCdEfGh_-1234567890')).status, 200);
  t.is((await send('GET', '/keys/short')).status, 404);
  const document = openApiDocument({ title: 't', version: '1' }, things) as {
    paths: Record<string, Record<string, { parameters: { schema: { pattern?: string } }[] }>>;
  };
  t.is(document.paths['/keys/{keyId}']?.['get']?.parameters[0]?.schema.pattern, '^[A-Za-z0-9_-]{16,}$');
});

test.serial('a method the literal route lacks is a 405, not a lookup of an id named like it', async (t) => {
  const answer = await send('DELETE', '/things/special');
  t.is(answer.status, 405);
  t.is(answer.allow, 'HEAD, GET');
  t.deepEqual(reached, []);
});
