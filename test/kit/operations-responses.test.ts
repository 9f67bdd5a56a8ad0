import test from 'ava';
import { z } from 'zod';
import { openApiDocument, operation, type Operation } from '@cf/kit';
import { dereferenced } from '../support/openapi-refs.ts';

const Thing = z.object({ id: z.uuid(), createdAt: z.iso.datetime() });
const noop = (): void => undefined;

type Responses = Record<string, { content?: Record<string, { schema: Record<string, unknown> }>; headers?: object }>;

/**
 * The responses a document (`info`) gives the operation `method` `path` declared with `spec`: what each test varies,
 * with a summary and a no-op handler, which none reads.
 */
function responsesOf<Body>(
  method: Operation['method'],
  path: string,
  spec: Omit<Operation<Body>, 'method' | 'path' | 'summary' | 'handler'>,
  info: Parameters<typeof openApiDocument>[0] = { title: 't', version: '1' },
) {
  const op = operation<Body>({ method, path, summary: `${method} ${path}`, handler: noop, ...spec });
  const document = openApiDocument(info, [op]) as { paths: Record<string, Record<string, { responses: Responses }>> };
  const item = Object.values(document.paths)[0]!;
  const responses = Object.values(item)[0]!.responses;
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [status, dereferenced(document, response)]),
  ) as Responses;
}

test('an operation without a success answer does not compile', (t) => {
  // @ts-expect-error -- `success` is required: no route goes undocumented (issue 22)
  const missing: Operation = { method: 'get', path: '/x', summary: 'x', auth: 'none', handler: noop };
  operation({
    method: 'get',
    path: '/x',
    summary: 'x',
    auth: 'none',
    // @ts-expect-error -- a 200 must describe its body
    success: { status: 200, description: 'x' },
    handler: noop,
  });
  t.truthy(missing);
});

test('the success answer is documented with the JSON Schema of its zod schema', (t) => {
  const responses = responsesOf('get', '/things/:id', {
    auth: 'none',
    success: { status: 200, description: 'the thing', schema: Thing },
  });
  const schema = responses['200']?.content?.['application/json']?.schema;
  t.is(schema?.['type'], 'object');
  t.deepEqual(schema?.['required'], ['id', 'createdAt']);
  t.like(schema?.['properties'], { id: { format: 'uuid' }, createdAt: { format: 'date-time' } });
});

test('a 204 answer has no body', (t) => {
  const responses = responsesOf('delete', '/things/:id', {
    auth: 'user',
    success: { status: 204, description: 'gone' },
  });
  t.deepEqual(responses['204'], { description: 'gone' });
});

test('the statuses the kit answers are documented as problems on every operation they apply to', (t) => {
  const write = responsesOf('post', '/things', {
    auth: 'admin',
    body: z.object({ name: z.string() }),
    success: { status: 201, description: 'added', schema: Thing },
    errors: { 409: 'exists' },
  });
  t.deepEqual(Object.keys(write).sort(), ['201', '400', '401', '403', '409', '413', '415', '431']);
  for (const status of ['400', '401', '403', '409', '413', '415', '431']) {
    t.truthy(write[status]?.content?.['application/problem+json'], `${status} is a problem`);
  }
  const read = responsesOf('get', '/things', {
    auth: 'none',
    success: { status: 200, description: 'the things', schema: z.array(Thing) },
  });
  t.deepEqual(Object.keys(read).sort(), ['200', '431'], 'a public read without input can fail only in the parser');
});

test('statuses of the authentication step are added to every operation that needs a token', (t) => {
  const responses = responsesOf(
    'get',
    '/mine',
    {
      auth: 'user',
      success: { status: 200, description: 'mine', schema: Thing },
    },
    { title: 't', version: '1', authErrors: { 503: 'session state unknown' } },
  );
  t.is((responses['503'] as { description?: string } | undefined)?.description, 'session state unknown');
  t.truthy(responses['503']?.headers, '503 carries Retry-After');
});

test('a document names its server as the root unless given a prefix', (t) => {
  const document = openApiDocument({ title: 't', version: '1' }, []);
  t.deepEqual(document['servers'], [{ url: '/' }]);
});
