import test from 'ava';
import { isSecretField, redact, REDACTED } from '@cf/kit';

// What the kit's logger does to every record before it is written (services/kit/src/redact.ts), value by value.

test('every identifier on the public list stays readable although it looks secret', (t) => {
  const fields = { keyId: 'k', kid: 'k', sessionId: 's', sessionCount: 2, tokenType: 'Bearer', token_type: 'Bearer' };
  t.deepEqual(redact(fields), fields);
  for (const name of Object.keys(fields)) t.false(isSecretField(name), name);
});

test('secret fragments count in any case and anywhere in the name', (t) => {
  for (const name of [
    'PASSWORD',
    'xAuthorisation',
    'Set-Cookie',
    'refreshToken',
    'API_KEY',
    'clientSecret',
    'X-Unseal',
  ])
    t.true(isSecretField(name), name);
  for (const name of ['email', 'userId', 'role', 'name']) t.false(isSecretField(name), name);
});

test('plain values and null pass through unchanged', (t) => {
  t.is(redact('text'), 'text');
  t.is(redact(42), 42);
  t.is(redact(null), null);
  t.is(redact(undefined), undefined);
  t.deepEqual(redact({ a: null, b: [1, 'two'] }), { a: null, b: [1, 'two'] });
});

test('a buffer is logged as its length, never its bytes', (t) => {
  t.deepEqual(redact({ body: Buffer.from('a secret body') }), { body: '[Buffer 13 bytes]' });
});

test('a date stays a date', (t) => {
  const at = new Date('2026-01-02T03:04:05Z');
  const copy = redact({ at }) as { at: unknown };
  t.true(copy.at instanceof Date);
  t.is((copy.at as Date).toISOString(), '2026-01-02T03:04:05.000Z');
});

test('an error keeps its name and message; a stack only when it has one', (t) => {
  const error = new TypeError('bad input');
  const copy = redact(error) as Record<string, unknown>;
  t.is(copy['name'], 'TypeError');
  t.is(copy['message'], 'bad input');
  t.is(copy['stack'], error.stack);
  const bare = new Error('no stack');
  delete bare.stack;
  t.false('stack' in (redact(bare) as object));
});

test('secrets inside arrays of objects are redacted', (t) => {
  t.deepEqual(redact([{ password: 'p' }, { email: 'e' }]), [{ password: REDACTED }, { email: 'e' }]);
});

test('the marker a secret is replaced by reads [REDACTED] in the log', (t) => {
  t.deepEqual(redact({ password: 'p' }), { password: '[REDACTED]' });
});
