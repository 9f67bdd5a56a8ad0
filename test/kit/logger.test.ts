import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger, redact, REDACTED } from '@cf/kit';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

test('secret-looking fields are redacted at any depth', (t) => {
  const out = capture();
  const log = createLogger({ name: 'test', stream: out.stream });
  log.info(
    {
      user: {
        email: 'a@example.org',
        password: 'hunter22',
        profile: { apiKey: 'k-1', nested: [{ refresh_token: 'r-1' }] },
      },
      headers: { authorization: 'Bearer abc', cookie: 'sid=1' },
      unsealKeys: ['u1', 'u2'],
      session: 'telegram-session-string',
      clientSecret: 's',
    },
    'hello',
  );
  const [record] = out.lines();
  const text = JSON.stringify(record);
  for (const secret of ['hunter22', 'k-1', 'r-1', 'Bearer abc', 'sid=1', 'u1', 'telegram-session-string', '"s"']) {
    t.false(text.includes(secret), `${secret} leaked`);
  }
  t.is((record?.['user'] as { email: string }).email, 'a@example.org');
  t.is((record?.['headers'] as { authorization: string }).authorization, REDACTED);
});

for (const field of ['credential', 'databaseCredentials', 'jwt', 'idJwt', 'passphrase', 'unsealKey']) {
  test(`a field named ${field} is redacted`, (t) => {
    t.deepEqual(redact({ [field]: 'secret-value', email: 'a@example.org' }), {
      [field]: REDACTED,
      email: 'a@example.org',
    });
  });
}

test('records keep the service name, level and message as JSON', (t) => {
  const out = capture();
  createLogger({ name: 'svc', stream: out.stream }).warn({ req_id: 'r1' }, 'careful');
  const [record] = out.lines();
  t.is(record?.['name'], 'svc');
  t.is(record?.['level'], 40);
  t.is(record?.['msg'], 'careful');
  t.is(record?.['req_id'], 'r1');
});

test('errors keep message and stack; their secret fields are redacted', (t) => {
  const error = Object.assign(new Error('boom'), { token: 't-123' });
  const copy = redact({ err: error }) as { err: Record<string, unknown> };
  t.is(copy.err['message'], 'boom');
  t.truthy(copy.err['stack']);
  t.is(copy.err['token'], REDACTED);
});

test('identifiers that merely look secret stay readable', (t) => {
  const copy = redact({ kid: 'key-1', sessionId: 's-1', token_type: 'Bearer' }) as Record<string, string>;
  t.deepEqual(copy, { kid: 'key-1', sessionId: 's-1', token_type: 'Bearer' });
});

test('cycles do not hang the logger', (t) => {
  const loop: Record<string, unknown> = { name: 'x' };
  loop['self'] = loop;
  t.deepEqual(redact(loop), { name: 'x', self: '[Circular]' });
});

test('an object referenced twice side by side is logged twice, not as a cycle', (t) => {
  const address = { city: 'Tbilisi', token: 'secret-value' };
  t.deepEqual(redact({ home: address, work: address, list: [address, address] }), {
    home: { city: 'Tbilisi', token: REDACTED },
    work: { city: 'Tbilisi', token: REDACTED },
    list: [
      { city: 'Tbilisi', token: REDACTED },
      { city: 'Tbilisi', token: REDACTED },
    ],
  });
});
