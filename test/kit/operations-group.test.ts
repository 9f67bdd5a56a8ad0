import test from 'ava';
import { z } from 'zod';
import { operationGroup } from '@cf/kit';

const Thing = z.object({ id: z.uuid() });
const noop = (): void => undefined;
const things = operationGroup({ auth: 'user', tags: ['things'], notFound: 'no such thing of the caller' });

test('an operation of a group has its headline and the group’s auth and tags', (t) => {
  const op = things.get('/things', 'The caller’s things', {
    success: { status: 200, description: 'the things', schema: z.array(Thing) },
    handler: noop,
  });
  t.like(op, { method: 'get', path: '/things', summary: 'The caller’s things', auth: 'user', tags: ['things'] });
});

test('an operation of a group may call for other auth or tags', (t) => {
  const op = things.get('/things/public', 'Anyone’s things', {
    auth: 'none',
    tags: ['things', 'public'],
    success: { status: 200, description: 'the things', schema: z.array(Thing) },
    handler: noop,
  });
  t.like(op, { auth: 'none', tags: ['things', 'public'] });
});

test('an operation whose path names a resource answers the group’s 404 unless it says its own', (t) => {
  const success = { status: 204, description: 'gone' } as const;
  t.deepEqual(things.delete('/things/:id', 'Remove', { success, handler: noop }).errors, {
    404: 'no such thing of the caller',
  });
  t.deepEqual(
    things.delete('/things/:id/parts/:part', 'Remove a part', {
      success,
      errors: { 404: 'no such thing or part', 409: 'in use' },
      handler: noop,
    }).errors,
    { 404: 'no such thing or part', 409: 'in use' },
  );
  t.deepEqual(things.post('/things', 'Add', { success, handler: noop }).errors, {}, 'no resource named: no 404');
});
