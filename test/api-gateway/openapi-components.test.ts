import test from 'ava';
import {
  componentPrefix,
  mergeComponents,
  type Components,
} from '../../services/api-gateway/src/openapi-components.ts';

// The gateway's document merges every service's `components` (issue 10): a shared name must mean one shape.

const problem = { type: 'object', required: ['type', 'title', 'status'] };
const notFound = {
  description: 'Not Found',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

function service(schemas: Record<string, unknown>, answer: unknown): { components: Components; paths: unknown } {
  return {
    components: { schemas: { Problem: problem, ...schemas }, responses: { NotFound: notFound } },
    paths: { '/x': { get: { responses: { '200': answer, '404': { $ref: '#/components/responses/NotFound' } } } } },
  };
}

test('a name two services define identically is defined once and both refer to it', (t) => {
  const merged: Components = {};
  const account = { type: 'object', properties: { id: { type: 'string' } } };
  const answer = { $ref: '#/components/schemas/Account' };
  const first = mergeComponents(merged, service({ Account: account }, answer), 'UserService');
  const second = mergeComponents(merged, service({ Account: account }, answer), 'IntegrationService');
  t.deepEqual(merged['schemas'], { Problem: problem, Account: account });
  t.deepEqual(merged['responses'], { NotFound: notFound });
  t.deepEqual(second.paths, first.paths, 'references unchanged');
});

test('a name a second service defines differently is published under its prefix, and its references follow', (t) => {
  const merged: Components = {};
  const user = { type: 'object', properties: { email: { type: 'string' } } };
  const telegram = { type: 'object', properties: { phone: { type: 'string' } } };
  mergeComponents(merged, service({ Account: user }, { $ref: '#/components/schemas/Account' }), 'UserService');
  const second = mergeComponents(
    merged,
    service(
      { Account: telegram, AccountList: { type: 'array', items: { $ref: '#/components/schemas/Account' } } },
      { $ref: '#/components/schemas/AccountList' },
    ),
    'IntegrationService',
  );
  t.deepEqual(merged['schemas']?.['Account'], user, 'the first definition keeps its name');
  t.deepEqual(merged['schemas']?.['IntegrationServiceAccount'], telegram);
  t.deepEqual(merged['schemas']?.['AccountList'], {
    type: 'array',
    items: { $ref: '#/components/schemas/IntegrationServiceAccount' },
  });
  t.deepEqual(second.paths, {
    '/x': {
      get: {
        responses: {
          '200': { $ref: '#/components/schemas/AccountList' },
          '404': { $ref: '#/components/responses/NotFound' },
        },
      },
    },
  });
});

test('a definition that refers to a renamed one is renamed with it', (t) => {
  const merged: Components = {};
  const list = { type: 'array', items: { $ref: '#/components/schemas/Item' } };
  mergeComponents(merged, service({ Item: { type: 'string' }, List: list }, {}), 'A');
  mergeComponents(merged, service({ Item: { type: 'integer' }, List: list }, {}), 'B');
  t.deepEqual(merged['schemas']?.['BList'], { type: 'array', items: { $ref: '#/components/schemas/BItem' } });
  t.deepEqual(merged['schemas']?.['List'], list);
});

test('a service name becomes the prefix of its renamed components', (t) => {
  t.is(componentPrefix('integration-service'), 'IntegrationService');
});
