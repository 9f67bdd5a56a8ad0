import test from 'ava';
import { addresses, call, startUserServiceFixture, type UserServiceFixture } from './fixture.ts';

// POST /auth/passkey/options is unauthenticated and stores a challenge per call: limited per IP like a login.
let f: UserServiceFixture;
const nextIp = addresses('10.42');

test.before(async () => {
  f = await startUserServiceFixture({ LOGIN_LIMIT_PER_IP: '3' });
});

test.after.always(async () => {
  await f?.stop();
});

test('passwordless login options past the per-IP limit get a 429 problem with Retry-After', async (t) => {
  const ip = nextIp();
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    statuses.push((await call(f.url, 'POST', '/auth/passkey/options', { ip })).status);
  }
  const limited = await call(f.url, 'POST', '/auth/passkey/options', { ip });
  const elsewhere = await call(f.url, 'POST', '/auth/passkey/options', { ip: nextIp() });

  t.deepEqual(statuses, [200, 200, 200]);
  t.is(limited.status, 429);
  t.true(Number(limited.headers.get('retry-after')) > 0);
  t.regex(limited.headers.get('content-type') ?? '', /application\/problem\+json/);
  t.is(limited.body['status'], 429);
  t.is(elsewhere.status, 200);
});
