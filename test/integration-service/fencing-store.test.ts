import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Database } from '@cf/kit';
import type { Fence } from '../../services/integration-service/src/db/leases.ts';
import type { LoginUpdate } from '../../services/integration-service/src/db/logins.ts';
import { migrations } from '../../services/integration-service/src/db/migrations.ts';
import { Store } from '../../services/integration-service/src/db/store.ts';
import { kitDatabase, migratedPostgresForFile } from '../support/kit-database.ts';

// The fencing store on a real PostgreSQL, without the service around it (services/integration-service/src/db): a
// write under a lease that has moved to another owner changes nothing and creates nothing, whichever pod sends it.
// End to end, ownership.test.ts kills the holder instead.

const postgres = migratedPostgresForFile('integrations', migrations);
let db: Database;
let store: Store;

test.serial.before(() => {
  db = kitDatabase(postgres, { port: postgres.port, database: 'integrations' });
  store = new Store(db.sequelize);
});

test.after.always(async () => {
  await db?.close();
});

const caps = { maxPending: 3, maxAccounts: 5 };

/** A phone login created by `owner`, with its lease's fence. */
async function phoneLogin(owner: string, userId = `user-${randomUUID()}`, limits = caps) {
  const id = randomUUID();
  const created = await store.logins.create({
    id,
    userId,
    method: 'phone',
    state: 'code_sent',
    phone: '+15550000101',
    ttlSeconds: 300,
    owner,
    incarnation: `${owner}-1`,
    leaseTtlSeconds: 30,
    ...limits,
  });
  return { id, userId, created };
}

/** The lease of `fence.resource` given up by its holder and claimed by `owner`: the old fence is now stale. */
async function moveLease(fence: Fence, owner: string): Promise<Fence> {
  await store.leases.release([fence]);
  const [claim] = await store.leases.claim([fence.resource], owner, `${owner}-1`, 30);
  if (claim === undefined) throw new Error(`${owner} could not claim ${fence.resource}`);
  return claim;
}

function fenceOf(login: Awaited<ReturnType<typeof phoneLogin>>): Fence {
  if (!login.created.created) throw new Error('the login was not created');
  return login.created.fence;
}

test('a new login holds a lease on login:<id> whose fence lets its holder write', async (t) => {
  const login = await phoneLogin('pod-a');
  const fence = fenceOf(login);
  t.is(fence.resource, `login:${login.id}`);
  t.like(await store.leases.get(fence.resource), { owner: 'pod-a', token: fence.token, live: true });
  t.like(await store.logins.update(login.id, fence, { state: 'password_required' }), { state: 'password_required' });
});

test('an update under a fence whose lease moved to another owner changes nothing', async (t) => {
  const login = await phoneLogin('pod-a');
  const stale = fenceOf(login);
  const current = await moveLease(stale, 'pod-b');
  t.is(await store.logins.update(login.id, stale, { state: 'password_required', failure: 'stale' }), undefined);
  t.like(await store.logins.byId(login.id), { state: 'code_sent', failure: null });
  t.like(await store.logins.update(login.id, current, { state: 'password_required' }), { state: 'password_required' });
});

/** What completing `login` stores, under `fence`, with the user's cap of `maxAccounts`. */
function completion(login: Awaited<ReturnType<typeof phoneLogin>>, fence: Fence, maxAccounts = 5) {
  return {
    loginId: login.id,
    fence,
    accountId: randomUUID(),
    userId: login.userId,
    telegramUserId: `777${Math.floor(Math.random() * 1e6)}`,
    phone: '+15550000101',
    username: null,
    displayName: 'Fenced',
    sessionCiphertext: 'vault:v1:session',
    owner: 'pod-a',
    incarnation: 'pod-a-1',
    ttlSeconds: 30,
    maxAccounts,
  };
}

/** A connected account of pod-a, with the fence of its lease. */
async function connectedAccount(): Promise<{ id: string; userId: string; fence: Fence }> {
  const login = await phoneLogin('pod-a');
  const done = await store.accounts.completeLogin(completion(login, fenceOf(login)));
  if (!done.done) throw new Error(`not completed: ${done.why}`);
  return { id: done.login.account_id!, userId: login.userId, fence: done.fence };
}

test('completing a login stores the account, moves the lease to account:<id> and releases the login’s', async (t) => {
  const login = await phoneLogin('pod-a');
  const loginFence = fenceOf(login);
  const done = await store.accounts.completeLogin(completion(login, loginFence));
  if (!done.done) return t.fail(`not completed: ${done.why}`);
  t.is(done.login.state, 'connected');
  t.is(done.fence.resource, `account:${done.login.account_id!}`);
  t.like(await store.leases.get(done.fence.resource), { owner: 'pod-a', token: done.fence.token, live: true });
  t.like(await store.leases.get(loginFence.resource), { live: false });
  t.like(await store.accounts.of(login.userId, done.login.account_id!), { state: 'connected' });
});

test('completing a login past the user’s account cap stores nothing and says so', async (t) => {
  const login = await phoneLogin('pod-a');
  t.deepEqual(await store.accounts.completeLogin(completion(login, fenceOf(login), 0)), {
    done: false,
    why: 'account-cap',
  });
  t.deepEqual(await store.accounts.ofUser(login.userId), []);
  t.like(await store.logins.byId(login.id), { state: 'code_sent' });
});

test('an account’s state changes only under its live fence', async (t) => {
  const account = await connectedAccount();
  const current = await moveLease(account.fence, 'pod-b');
  t.false(await store.accounts.setState(account.id, account.fence, 'revoked', 'stale'));
  t.like(await store.accounts.of(account.userId, account.id), { state: 'connected', failure: null });
  t.true(await store.accounts.setState(account.id, current, 'failed', 'reconnect failed'));
  t.like(await store.accounts.of(account.userId, account.id), { state: 'failed', failure: 'reconnect failed' });
});

test('an account is deleted only under its live fence', async (t) => {
  const account = await connectedAccount();
  const current = await moveLease(account.fence, 'pod-b');
  t.false(await store.accounts.delete(account.id, account.fence));
  t.truthy(await store.accounts.of(account.userId, account.id));
  t.true(await store.accounts.delete(account.id, current));
  t.is(await store.accounts.of(account.userId, account.id), undefined);
});

test('only an account that is no longer connected is deleted without a fence', async (t) => {
  const account = await connectedAccount();
  t.false(await store.accounts.deleteDead(account.userId, account.id));
  t.true(await store.accounts.setState(account.id, account.fence, 'revoked', 'session revoked'));
  t.false(await store.accounts.deleteDead('someone-else', account.id), 'nor someone else’s');
  t.true(await store.accounts.deleteDead(account.userId, account.id));
});

test('completing a login under a fence whose lease moved creates no account and leaves the login pending', async (t) => {
  const login = await phoneLogin('pod-a');
  const stale = fenceOf(login);
  await moveLease(stale, 'pod-b');
  const completion = await store.accounts.completeLogin({
    loginId: login.id,
    fence: stale,
    accountId: randomUUID(),
    userId: login.userId,
    telegramUserId: '777000101',
    phone: '+15550000101',
    username: null,
    displayName: 'Stale',
    sessionCiphertext: 'vault:v1:stale',
    owner: 'pod-a',
    incarnation: 'pod-a-1',
    ttlSeconds: 30,
    maxAccounts: 5,
  });
  t.deepEqual(completion, { done: false, why: 'lease-lost' });
  t.deepEqual(await store.accounts.ofUser(login.userId), []);
  t.like(await store.logins.byId(login.id), { state: 'code_sent', account_id: null });
});

test('renewing a held lease keeps it; a renewal under a stale token loses it', async (t) => {
  const login = await phoneLogin('pod-a');
  const fence = fenceOf(login);
  const before = (await store.leases.get(fence.resource))!.expires_at.getTime();
  t.deepEqual(await store.leases.renew([fence], 120), new Set([fence.resource]));
  t.true((await store.leases.get(fence.resource))!.expires_at.getTime() > before + 60_000, 'extended by the new TTL');
  const current = await moveLease(fence, 'pod-b');
  t.deepEqual(await store.leases.renew([fence], 120), new Set());
  t.like(await store.leases.get(fence.resource), { owner: 'pod-b', token: current.token });
});

test('a lease held by another owner cannot be claimed until it expires; claiming nothing claims nothing', async (t) => {
  const login = await phoneLogin('pod-a');
  const fence = fenceOf(login);
  t.deepEqual(await store.leases.claim([fence.resource], 'pod-b', 'pod-b-1', 30), []);
  t.deepEqual(await store.leases.claim([], 'pod-b', 'pod-b-1', 30), []);
  await store.leases.release([fence]);
  const [claim] = await store.leases.claim([fence.resource, fence.resource], 'pod-b', 'pod-b-1', 30);
  t.like(claim, { resource: fence.resource, previous: 'pod-a' });
  t.true(BigInt(claim!.token) > BigInt(fence.token), 'fencing tokens only grow');
});

test('a login refused by the pending cap is not created and says what was counted', async (t) => {
  const userId = `user-${randomUUID()}`;
  const limits = { maxPending: 1, maxAccounts: 5 };
  t.true((await phoneLogin('pod-a', userId, limits)).created.created);
  const refused = await phoneLogin('pod-a', userId, limits);
  t.like(refused.created, { created: false, pending_logins: 1, connected_accounts: 0, cooldown_seconds: null });
  t.is(await store.logins.byId(refused.id), undefined);
  t.is(await store.leases.get(`login:${refused.id}`), undefined);
});

test('an update names only the login’s own columns, whatever else the object carries', async (t) => {
  const login = await phoneLogin('pod-a');
  const update = { state: 'password_required', user_id: 'someone-else' } as LoginUpdate;
  t.like(await store.logins.update(login.id, fenceOf(login), update), {
    state: 'password_required',
    user_id: login.userId,
  });
});
