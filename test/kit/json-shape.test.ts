import test from 'ava';
import { jsonShapeProblem } from '@cf/kit/http/json-shape';

// The bounds on a JSON body's shape, checked on its text before parsing (services/kit/src/http/json-shape.ts):
// each limit holds exactly at its edge, and strings never count as structure.

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const array = (length: number): string => JSON.stringify(Array.from({ length }, (_, index) => index));
const object = (keys: number): string =>
  JSON.stringify(Object.fromEntries(Array.from({ length: keys }, (_, index) => [`k${index}`, index])));

test('nesting is allowed to the limit and refused one level deeper', (t) => {
  t.is(jsonShapeProblem(nested(32)), undefined);
  t.is(jsonShapeProblem(nested(33)), 'request body is nested deeper than 32 levels');
  t.is(jsonShapeProblem(nested(3), { maxDepth: 3 }), undefined);
  t.is(jsonShapeProblem(`{"a":${nested(3)}}`, { maxDepth: 3 }), 'request body is nested deeper than 3 levels');
});

test('an array may hold the limit of elements and not one more', (t) => {
  t.is(jsonShapeProblem(array(1000)), undefined);
  t.is(jsonShapeProblem(array(1001)), 'request body has an array of more than 1000 elements');
  t.is(jsonShapeProblem(array(3), { maxArrayLength: 3 }), undefined);
  t.is(jsonShapeProblem(array(4), { maxArrayLength: 3 }), 'request body has an array of more than 3 elements');
});

test('an object may hold the limit of keys and not one more', (t) => {
  t.is(jsonShapeProblem(object(200)), undefined);
  t.is(jsonShapeProblem(object(201)), 'request body has an object of more than 200 keys');
  t.is(jsonShapeProblem(object(2), { maxKeys: 2 }), undefined);
  t.is(jsonShapeProblem(object(3), { maxKeys: 2 }), 'request body has an object of more than 2 keys');
});

test('elements of every kind count: strings, numbers, literals, arrays and objects', (t) => {
  const limits = { maxArrayLength: 2 };
  for (const first of ['"s"', '1', 'true', 'null', '[]', '{}']) {
    t.is(jsonShapeProblem(`[${first},0]`, limits), undefined, first);
    t.is(jsonShapeProblem(`[${first},0,0]`, limits), 'request body has an array of more than 2 elements', first);
  }
});

test('an array’s limit is not an object’s, nor the other way round', (t) => {
  t.is(jsonShapeProblem(array(3), { maxKeys: 2 }), undefined);
  t.is(jsonShapeProblem(object(3), { maxArrayLength: 2 }), undefined);
});

test('closing a container returns the count to the one around it', (t) => {
  t.is(jsonShapeProblem('[[0,0,0],[0,0,0],0]', { maxArrayLength: 3 }), undefined);
  t.is(
    jsonShapeProblem('[[0,0,0],[0,0,0],0,0]', { maxArrayLength: 3 }),
    'request body has an array of more than 3 elements',
  );
  t.is(jsonShapeProblem('[[[0]],[[0]]]', { maxDepth: 3 }), undefined);
});

test('brackets, commas and escaped quotes inside strings are not structure', (t) => {
  t.is(
    jsonShapeProblem(JSON.stringify(['[[[[', ',,,,', '{{{{'].join('')), { maxDepth: 1, maxArrayLength: 1 }),
    undefined,
  );
  t.is(jsonShapeProblem(JSON.stringify({ a: 'quote \\" [[[ , ' }), { maxDepth: 1, maxKeys: 1 }), undefined);
  t.is(jsonShapeProblem('["\\\\",[', { maxDepth: 1 }), 'request body is nested deeper than 1 levels');
});

test('an empty container holds nothing, and white space is no element', (t) => {
  t.is(jsonShapeProblem('[ ]', { maxArrayLength: 0 }), undefined);
  t.is(jsonShapeProblem('[ 1 ]', { maxArrayLength: 0 }), undefined);
  t.is(jsonShapeProblem('[1, 2]', { maxArrayLength: 1 }), 'request body has an array of more than 1 elements');
});

test('commas outside any container count toward no limit: the JSON parser refuses that text', (t) => {
  t.is(jsonShapeProblem(`1${',1'.repeat(5)}`, { maxArrayLength: 1, maxKeys: 1 }), undefined);
});

test('white space before a container’s first element counts as no element', (t) => {
  // Invalid JSON, which the parser then refuses; what matters here is that the space counted for nothing.
  t.is(jsonShapeProblem('[ , 1]', { maxArrayLength: 1 }), undefined);
  t.is(jsonShapeProblem('{\n, "a": 1}', { maxKeys: 1 }), undefined);
});
