import test from 'ava';
import { randomInt } from 'node:crypto';
import { DEMO_CODE, demoTelegram } from '../../services/integration-service/src/demo.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import {
  as,
  eventually,
  integrationFixtureForFile,
  sleep,
  type Instance,
  type TeardownScope,
  type User,
} from './fixture.ts';

const f = integrationFixtureForFile();

function account(fake: FakeTelegram): string {
  const number = `+49160${String(randomInt(1_000_000, 9_999_999))}`;
  fake.addAccount({ phone: number });
  return number;
}

async function connectOn(instance: Instance, fake: FakeTelegram, user: User): Promise<string> {
  const number = account(fake);
  const started = await as(user, instance.url, 'POST', '/telegram/logins/phone', { phone: number });
  const done = await as(user, instance.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
    code: fake.lastCode(number),
  });
  if (done.body['state'] !== 'connected') throw new Error(`connect: ${done.status} ${JSON.stringify(done.body)}`);
  return done.body['accountId'] as string;
}

/** Connects `count` new accounts of `user` through `instance`, one after another; their ids. */
async function connectSeveral(instance: Instance, fake: FakeTelegram, user: User, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) ids.push(await connectOn(instance, fake, user));
  return ids;
}

async function leaseOwner(instance: Instance, resource: string): Promise<string | undefined> {
  const lease = await instance.service.store.leases.get(resource);
  return lease?.live ? lease.owner : undefined;
}

/** Retries while the service says ownership is moving (503), as a client following Retry-After would. */
async function untilOwned<T extends { status: number }>(request: () => Promise<T>): Promise<T> {
  return eventually(async () => {
    const response = await request();
    return response.status !== 503 && response;
  }, 15_000);
}

/** Two instances on `fake`, closed when the test of `scope` ends, and a new user. */
async function twoInstances(
  fake: FakeTelegram,
  scope: TeardownScope,
): Promise<{ one: Instance; two: Instance; user: User }> {
  return { one: await f.instance(fake, {}, scope), two: await f.instance(fake, {}, scope), user: await f.user() };
}

test.serial('a request reaching a non-owner instance is forwarded to the owner', async (t) => {
  const fake = new FakeTelegram();
  const { one, two, user } = await twoInstances(fake, t);
  const number = account(fake);
  const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  const loginId = started.body['loginId'] as string;
  t.is(await leaseOwner(two, `login:${loginId}`), one.pod);
  const done = await as(user, two.url, 'POST', `/telegram/logins/${loginId}/code`, { code: fake.lastCode(number) });
  t.is(done.status, 200);
  t.is(done.body['state'], 'connected');
  t.is(await leaseOwner(two, `account:${done.body['accountId']}`), one.pod);
  t.false(two.service.ownership.holds(`account:${done.body['accountId']}`));
  const deleted = await as(user, two.url, 'DELETE', `/telegram/accounts/${done.body['accountId']}`);
  t.is(deleted.status, 204);
  t.is(fake.violations, 0);
});

test.serial('a phone login started on instance 1 finishes on instance 2 after instance 1 is killed', async (t) => {
  const fake = new FakeTelegram({ latencyMs: 5 });
  const { one, two, user } = await twoInstances(fake, t);
  const number = account(fake);
  const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  const loginId = started.body['loginId'] as string;
  const code = fake.lastCode(number);
  await one.service.crash();
  const done = await untilOwned(() => as(user, two.url, 'POST', `/telegram/logins/${loginId}/code`, { code }));
  t.is(done.status, 200);
  t.is(done.body['state'], 'connected');
  t.is(await leaseOwner(two, `account:${done.body['accountId']}`), two.pod);
  t.is(fake.violations, 0);
  t.is(fake.maxConcurrent, 1);
});

test.serial('a 2FA login waiting for the password finishes on instance 2 after instance 1 is killed', async (t) => {
  const fake = new FakeTelegram();
  const { one, two, user } = await twoInstances(fake, t);
  const number = `+49170${String(randomInt(1_000_000, 9_999_999))}`;
  fake.addAccount({ phone: number, password: 'after the crash' });
  f.secrets.add('after the crash');
  const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone: number });
  const loginId = started.body['loginId'] as string;
  const step = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/code`, { code: fake.lastCode(number) });
  t.is(step.body['state'], 'password_required');
  await one.service.crash();
  const done = await untilOwned(() =>
    as(user, two.url, 'POST', `/telegram/logins/${loginId}/password`, { password: 'after the crash' }),
  );
  t.is(done.body['state'], 'connected');
  t.is(fake.violations, 0);
});

test.serial('a QR login started on instance 1 finishes on instance 2 after instance 1 is killed', async (t) => {
  const fake = new FakeTelegram({ qrTtlSeconds: 30 });
  const { one, two, user } = await twoInstances(fake, t);
  const number = account(fake);
  const started = await as(user, one.url, 'POST', '/telegram/logins/qr');
  const loginId = started.body['loginId'] as string;
  await one.service.crash();
  // The survivor adopts the login by itself (no request needed) and shows a fresh token of the same session.
  const resumed = await eventually(async () => {
    const polled = await as(user, two.url, 'GET', `/telegram/logins/${loginId}`);
    return two.service.ownership.holds(`login:${loginId}`) && polled.body['url'] !== started.body['url'] && polled;
  }, 15_000);
  fake.scanQr(resumed.body['url'] as string, number);
  const done = await eventually(async () => {
    const polled = await as(user, two.url, 'GET', `/telegram/logins/${loginId}`);
    return polled.body['state'] === 'connected' && polled;
  });
  t.regex(String(done.body['accountId']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.is(fake.violations, 0);
});

test.serial("a killed instance's accounts are reconnected by another instance", async (t) => {
  const fake = new FakeTelegram();
  const { one, two, user } = await twoInstances(fake, t);
  const ids = await connectSeveral(one, fake, user, 5);
  t.is(one.service.ownership.connectedAccounts(), 5);
  await one.service.crash();
  await eventually(async () => ids.every((id) => two.service.ownership.holds(`account:${id}`)), 15_000);
  for (const id of ids) t.is(await leaseOwner(two, `account:${id}`), two.pod);
  t.is(fake.openConnections(), 5);
  t.is(fake.violations, 0);
  const text = await (await fetch(`${two.url}/metrics`)).text();
  t.regex(text, /telegram_lease_handovers_total\{kind="account",service="integration-service"\} 5/);
});

test.serial('on SIGTERM an instance destroys its clients before it releases their leases', async (t) => {
  const fake = new FakeTelegram({ latencyMs: 60 });
  const one = await f.instance(fake, { LEASE_TTL_SECONDS: '30' }, t);
  const user = await f.user();
  const ids = await connectSeveral(one, fake, user, 3);
  const closing = Date.now();
  await one.service.close();
  const leases = await f.sql<{ released_at: Date }>(
    `SELECT expires_at + interval '1 millisecond' AS released_at FROM leases WHERE resource = ANY($1)`,
    [ids.map((id) => `account:${id}`)],
  );
  t.is(leases.length, 3);
  // (Earlier tests' leftovers that this instance tried to adopt at start are not part of this shutdown.)
  const destroys = fake.connectionLog.filter((entry) => entry.event === 'destroy' && entry.at >= closing);
  t.is(destroys.length, 3);
  const lastDestroy = Math.max(...destroys.map((entry) => entry.at));
  for (const lease of leases) t.true(lastDestroy <= new Date(lease.released_at).getTime() + 5);
  t.is(fake.openConnections(), 0);
});

test.serial(
  'after a SIGTERM a peer takes the accounts over at once, long before the leases would expire',
  async (t) => {
    const fake = new FakeTelegram({ latencyMs: 20 });
    const one = await f.instance(fake, { LEASE_TTL_SECONDS: '30' }, t);
    const two = await f.instance(fake, { LEASE_TTL_SECONDS: '30' }, t);
    const user = await f.user();
    const ids = await connectSeveral(one, fake, user, 3);
    const stopped = Date.now();
    await one.service.close();
    await eventually(async () => ids.every((id) => two.service.ownership.holds(`account:${id}`)), 10_000);
    t.true(Date.now() - stopped < 5000);
    t.is(fake.violations, 0);
    t.is(fake.maxConcurrent, 1);
  },
);

test.serial('an account is never connected by two instances at once through ownership handovers', async (t) => {
  const fake = new FakeTelegram({ latencyMs: 10 });
  let instances = [await f.instance(fake, {}, t), await f.instance(fake, {}, t)];
  const user = await f.user();
  const ids: string[] = [];
  for (let i = 0; i < 8; i += 1) ids.push(await connectOn(instances[i % 2]!, fake, user));
  for (let round = 0; round < 4; round += 1) {
    const [victim, ...rest] = instances;
    const fresh = await f.instance(fake, {}, t);
    if (round % 2 === 0) await victim!.service.crash();
    else await victim!.service.close();
    instances = [...rest, fresh];
    await eventually(
      async () =>
        ids.every(
          (id) => instances.filter((instance) => instance.service.ownership.holds(`account:${id}`)).length === 1,
        ),
      20_000,
    );
    t.is(fake.violations, 0, `round ${round}`);
  }
  t.is(fake.maxConcurrent, 1);
  t.is(fake.openConnections(), ids.length);
  const listed = await as(user, instances[0]!.url, 'GET', '/telegram/accounts');
  t.true((listed.body['accounts'] as { state: string }[]).every((account) => account.state === 'connected'));
});

test.serial('an instance that loses its lease drops the connection (fencing)', async (t) => {
  const fake = new FakeTelegram();
  const one = await f.instance(fake, {}, t);
  const user = await f.user();
  const id = await connectOn(one, fake, user);
  t.is(fake.openConnections(), 1);
  // Someone else holds the account now (as after a partition): a newer token, another owner.
  await one.service.store.rows(
    `UPDATE leases SET owner = 'elsewhere', incarnation = 'x', token = nextval('lease_tokens'),
       expires_at = now() + interval '1 hour' WHERE resource = $1`,
    [`account:${id}`],
  );
  await eventually(async () => !one.service.ownership.holds(`account:${id}`), 5000);
  t.is(fake.openConnections(), 0);
  await sleep(10);
  await one.service.store.rows(`DELETE FROM leases WHERE resource = $1`, [`account:${id}`]);
});

test.serial('a login not finished in time expires and its client is destroyed', async (t) => {
  const fake = new FakeTelegram();
  const one = await f.instance(fake, { LOGIN_TTL_SECONDS: '1' }, t);
  const user = await f.user();
  const started = await as(user, one.url, 'POST', '/telegram/logins/qr');
  const loginId = started.body['loginId'] as string;
  const expired = await eventually(async () => {
    const polled = await as(user, one.url, 'GET', `/telegram/logins/${loginId}`);
    return polled.body['state'] === 'expired' && polled;
  });
  t.is(expired.body['url'], undefined);
  t.false(one.service.ownership.holds(`login:${loginId}`));
  t.is(fake.openConnections(), 0);
  const late = await as(user, one.url, 'POST', `/telegram/logins/${loginId}/password`, { password: 'too late' });
  t.is(late.status, 409);
});

test.serial(
  'an account connected through a demo-mode instance is adopted and connected, not revoked, by another demo-mode instance after the first stops',
  async (t) => {
    // As the pods of a dev cluster run: TELEGRAM_MODE=demo and no DEMO_STATE_FILE, so each has a fake of its own.
    const one = await f.instance(demoTelegram(), { TELEGRAM_MODE: 'demo' }, t);
    const two = await f.instance(demoTelegram(), { TELEGRAM_MODE: 'demo' }, t);
    const user = await f.user();
    // Ends in 1: demo numbers ending in 2 ask for a password, those ending in 99 never answer.
    const phone = `+49160${String(randomInt(100_000, 999_999))}1`;
    const started = await as(user, one.url, 'POST', '/telegram/logins/phone', { phone });
    const done = await as(user, one.url, 'POST', `/telegram/logins/${started.body['loginId']}/code`, {
      code: DEMO_CODE,
    });
    t.is(done.body['state'], 'connected');
    const id = done.body['accountId'] as string;
    await one.service.close();
    const settled = await eventually(async () => {
      const read = await as(user, two.url, 'GET', `/telegram/accounts/${id}`);
      const decided = two.service.ownership.holds(`account:${id}`) || read.body['state'] !== 'connected';
      return read.status === 200 && decided && read;
    }, 15_000);
    t.is(settled.body['state'], 'connected');
    t.true(two.service.ownership.holds(`account:${id}`));
  },
);
