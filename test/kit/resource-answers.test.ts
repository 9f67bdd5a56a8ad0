import test from 'ava';
import { z } from 'zod';
import { createdAnswer, listAnswer, noContentAnswer, okAnswer } from '@cf/kit';

const Thing = z.object({ id: z.uuid() });
const ThingList = z.object({ things: z.array(Thing) });

test('a list answer is a 200 whose first item links by its id to the operations named', (t) => {
  t.deepEqual(listAnswer('things', 'the things', ThingList, { firstThing: 'getThingsById' }), {
    success: { status: 200, description: 'the things', schema: ThingList },
    links: { firstThing: { operationId: 'getThingsById', parameters: { id: '$response.body#/things/0/id' } } },
  });
});

test('a created answer is a 201 whose id links to the operations named, read from another field when told', (t) => {
  t.deepEqual(createdAnswer('the thing', Thing, { getThing: 'getThingsById' }), {
    success: { status: 201, description: 'the thing', schema: Thing },
    links: { getThing: { operationId: 'getThingsById', parameters: { id: '$response.body#/id' } } },
  });
  t.deepEqual(createdAnswer('the thing', Thing, { getThing: 'getThingsById' }, 'thingId').links, {
    getThing: { operationId: 'getThingsById', parameters: { id: '$response.body#/thingId' } },
  });
});

test('an ok answer is a 200 with the schema, and a no-content answer a 204 without one', (t) => {
  t.deepEqual(okAnswer('the thing', Thing), { success: { status: 200, description: 'the thing', schema: Thing } });
  t.deepEqual(noContentAnswer('removed'), { success: { status: 204, description: 'removed' } });
});
