import test from 'ava';
import { canonicalForm } from '../../services/api-gateway/src/canonical-path.ts';

// The gateway's one path normalisation (services/api-gateway/src/canonical-path.ts), before any routing: what a
// path becomes, and which paths have no canonical form because a service behind could read them as another.

test('repeated slashes collapse into one', (t) => {
  t.is(canonicalForm('/api//users///me'), '/api/users/me');
});

test('a trailing slash goes', (t) => {
  t.is(canonicalForm('/api/users/me/'), '/api/users/me');
});

test('the root path keeps its only slash', (t) => {
  t.is(canonicalForm('/'), '/');
  t.is(canonicalForm('//'), '/');
});

test('a canonical path is returned as it is, case included', (t) => {
  t.is(canonicalForm('/api/Users/me'), '/api/Users/me');
});

test('dots inside a segment are part of its name', (t) => {
  for (const path of ['/api/openapi.json', '/.well-known/jwks.json', '/api/users/a..b', '/api/..x', '/api/x..']) {
    t.is(canonicalForm(path), path);
  }
});

for (const path of [
  '/api/users/..',
  '/api/users/../admin',
  '..',
  '../api',
  '/api/users/.',
  '/api/users/./me',
  '.',
  './api',
  '/api/users%2f..%2fadmin',
  '/api/users%2F..%2Fadmin',
  '/api/users/%2e%2e/admin',
  '/api/users/%2E%2E/admin',
  '/api/users%5cadmin',
  '/api/users%5Cadmin',
  '/api/users\\admin',
  '/api/users\0admin',
]) {
  test(`a path with a dot segment, an encoded separator or dot, a backslash or a NUL has no canonical form: ${JSON.stringify(path)}`, (t) => {
    t.is(canonicalForm(path), undefined);
  });
}
