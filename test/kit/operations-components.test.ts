import test from 'ava';
import { z } from 'zod';
import { openApiDocument, operationGroup, type Operation } from '@cf/kit';

// Shapes a document states once, under `components`, and refers to (issue 10): the named schemas of a
// service, and one shared answer per error status.

const Thing = z.object({ id: z.uuid(), name: z.string() });
const Page = z.object({ things: z.array(Thing), next: z.string().nullable() });
const Draft = z.object({ name: z.string(), tags: z.array(z.string()).default([]) });
const noop = (): void => undefined;

type Document = {
  paths: Record<string, Record<string, { requestBody?: Content; responses: Record<string, Answer> }>>;
  components: { schemas: Record<string, Record<string, unknown>>; responses: Record<string, Answer> };
};
interface Content {
  content: Record<string, { schema: Record<string, unknown> }>;
}
type Answer = Partial<Content> & { $ref?: string; description?: string; headers?: Record<string, unknown> };

function documentOf(operations: Operation[], schemas?: Record<string, z.ZodType>): Document {
  return openApiDocument({ title: 't', version: '1', ...(schemas ? { schemas } : {}) }, operations) as Document;
}

const things = operationGroup({ auth: 'user', notFound: 'no such thing' });
const listThings = things.get('/things', 'list', {
  auth: 'none',
  success: { status: 200, description: 'a page', schema: Page },
  handler: noop,
});
const getThing = things.get('/things/:id', 'one', {
  success: { status: 200, description: 'the thing', schema: Thing },
  handler: noop,
});
const addThing = things.post('/things', 'add', {
  body: Draft,
  success: { status: 201, description: 'added', schema: Thing },
  handler: noop,
});

test('a named schema is defined once and every answer that is or holds it refers to it', (t) => {
  const document = documentOf([listThings, getThing], { Thing, Page });
  const answer = (path: string) => document.paths[path]!['get']!.responses['200']!.content!['application/json']!;
  t.deepEqual(answer('/things/{id}').schema, { $ref: '#/components/schemas/Thing' });
  t.deepEqual(answer('/things').schema, { $ref: '#/components/schemas/Page' });
  t.like(document.components.schemas['Page'], {
    properties: { things: { type: 'array', items: { $ref: '#/components/schemas/Thing' } } },
  });
  t.like(document.components.schemas['Thing'], { type: 'object', required: ['id', 'name'] });
});

test('a schema without a name stays inline', (t) => {
  const document = documentOf([getThing]);
  const schema = document.paths['/things/{id}']!['get']!.responses['200']!.content!['application/json']!.schema;
  t.like(schema, { type: 'object', properties: { id: { format: 'uuid' } } });
  t.deepEqual(Object.keys(document.components.schemas), ['Problem']);
});

test('a named schema whose input form differs is published for requests as <name>Input', (t) => {
  const document = documentOf([addThing], { Thing, Draft });
  t.deepEqual(document.paths['/things']!['post']!.requestBody!.content['application/json']!.schema, {
    $ref: '#/components/schemas/DraftInput',
  });
  t.deepEqual(document.components.schemas['DraftInput']!['required'], ['name'], 'a default makes a field optional');
  t.deepEqual(
    Object.keys(document.components.schemas).sort(),
    ['DraftInput', 'Problem', 'Thing'],
    'only the forms something refers to',
  );
});

test('error answers refer to one shared answer per status, with the operation’s description where it says more', (t) => {
  const document = documentOf([getThing, addThing]);
  const one = document.paths['/things/{id}']!['get']!.responses;
  t.deepEqual(one['404'], { $ref: '#/components/responses/NotFound', description: 'no such thing' });
  t.deepEqual(one['401'], { $ref: '#/components/responses/Unauthorized' }, 'the kit’s own description is shared');
  t.deepEqual(Object.keys(document.components.responses).sort(), [
    'BadRequest',
    'NotFound',
    'PayloadTooLarge',
    'RequestHeaderFieldsTooLarge',
    'Unauthorized',
    'UnsupportedMediaType',
  ]);
  t.like(document.components.responses['NotFound'], {
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
});

test('the name Problem is the kit’s own', (t) => {
  t.throws(() => documentOf([getThing], { Problem: Thing }), { message: /Problem is the kit’s own/ });
});
