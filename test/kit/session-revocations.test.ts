import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpProblem, SessionRevocations, type SessionRevocationsOptions } from '@cf/kit';
import { settle } from '../support/settle.ts';
import {
  capturedLogger,
  feedDatabase,
  feedPostgresForFile,
  feedServer,
  startedFeed,
  warnings,
  within,
  type FeedDatabase,
  type FeedServer,
} from '../support/revocation-feed.ts';

// SessionRevocations (services/kit/src/auth/revocations.ts), api-gateway's follower of user-service's
// session-revocation feed, against the real feed: user-service's RevocationFeed on a real PostgreSQL behind its real
// HTTP route, sessions ending through the real trigger. Each test has a feed of its own. The feed's own rules are
// specified in test/user-service/revocation-feed.test.ts.

const postgres = feedPostgresForFile();
const RETENTION = 100;
/** How long the feed serves a revocation, and so until when the follower counts it: retention plus 60 s. */
const SERVED = RETENTION + 60;

interface Following {
  database: FeedDatabase;
  server: FeedServer;
  revocations: SessionRevocations;
  /** What `onRevocation` was called with, in order. */
  lags: number[];
  lines: string[];
}

type FollowOptions = Partial<Pick<SessionRevocationsOptions, 'waitSeconds' | 'staleAfterMs'>> & {
  pageSize?: number;
  /** Drop the connection of every request from this one on (see `feedServer`). */
  cutFrom?: number;
  /** Follow this path of the feed's server instead of the feed. */
  path?: string;
  /** Give no `onRevocation` (it is optional). */
  unreported?: boolean;
};

/** A feed of the test's own and a follower of it, not yet started; both stop when `t` ends. */
async function following(t: ExecutionContext, options: FollowOptions = {}): Promise<Following> {
  const database = await feedDatabase(t, postgres);
  const { pageSize, cutFrom, path, waitSeconds, staleAfterMs } = options;
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION, ...(pageSize ? { pageSize } : {}) });
  const server = await feedServer(t, feed, cutFrom === undefined ? {} : { cutFrom });
  const { logger, lines } = capturedLogger('api-gateway');
  const lags: number[] = [];
  const revocations = new SessionRevocations({
    url: path === undefined ? server.url : `${server.origin}${path}`,
    logger,
    ...(waitSeconds === undefined ? {} : { waitSeconds }),
    ...(staleAfterMs === undefined ? {} : { staleAfterMs }),
    ...(options.unreported === true ? {} : { onRevocation: (lag: number) => lags.push(lag) }),
  });
  // Registered after the feed's: ava runs teardowns last-in first-out, so the follower stops first.
  t.teardown(() => within(5_000, 'revocations.stop()', revocations.stop()).catch(() => undefined));
  return { database, server, revocations, lags, lines };
}

/** Waits (up to 10 s: the machine may be loaded) until the follower counts `sid` as revoked; answers whether it does. */
function learnt(revocations: SessionRevocations, sid: string): Promise<boolean> {
  return settle(
    async () => revocations.isRevoked(sid),
    (revoked) => revoked,
    { timeoutMs: 10_000, intervalMs: 10 },
  );
}

const unavailable = {
  instanceOf: HttpProblem,
  message: 'session state is unavailable; try again shortly',
};

test('before its first list has loaded the follower is unhealthy and isRevoked answers 503', (t) => {
  const revocations = new SessionRevocations({ url: 'http://127.0.0.1:9/', logger: capturedLogger('gw').logger });
  t.false(revocations.healthy());
  const problem = t.throws(() => revocations.isRevoked('a'), unavailable);
  t.is(problem?.status, 503);
  t.deepEqual(problem?.headers, { 'Retry-After': '2' });
});

test('ready resolves once every page of the first list has loaded; those sessions are revoked, unreported', async (t) => {
  const { database, revocations, lags } = await following(t, { pageSize: 2 });
  const sids = [];
  for (let i = 0; i < 5; i += 1) sids.push(await database.revoke());
  revocations.start();
  await revocations.ready(5_000);
  t.true(revocations.healthy());
  t.deepEqual(
    sids.map((sid) => revocations.isRevoked(sid)),
    [true, true, true, true, true],
  );
  t.false(revocations.isRevoked('00000000-0000-4000-8000-000000000000'));
  t.deepEqual(lags, []);
});

test('a first list that breaks off after a page leaves the follower not ready and refusing to answer', async (t) => {
  const { database, revocations } = await following(t, { pageSize: 2, cutFrom: 2 });
  const sid = await database.revoke();
  await database.revoke();
  await database.revoke();
  revocations.start();
  await t.throwsAsync(revocations.ready(800));
  t.false(revocations.healthy());
  t.throws(() => revocations.isRevoked(sid), unavailable);
});

test('an empty feed loads at once, without a held poll', async (t) => {
  const { server, revocations } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  t.is(server.requests[0], '/internal/session-revocations?after=0&wait=0');
});

test('once loaded, polls name the position followed so far and ask to be held waitSeconds', async (t) => {
  const { database, server, revocations } = await following(t, { waitSeconds: 1, unreported: true });
  revocations.start();
  await revocations.ready(10_000);
  const sid = await database.revoke();
  t.true(await learnt(revocations, sid));
  await settle(
    async () => server.requests.length,
    (count) => count >= 3,
    { timeoutMs: 10_000, intervalMs: 10 },
  );
  t.deepEqual(
    server.requests.slice(0, 3).map((request) => request.split('?')[1]),
    ['after=0&wait=0', 'after=0&wait=1', 'after=1&wait=1'],
  );
});

test('a follower held by a quiet feed stays healthy through the 20 s hold and warns of nothing', async (t) => {
  const { server, revocations, lines } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  // Past 5 s: the staleness limit is the hold plus 5 s, and the poll's own deadline too.
  await sleep(5_500);
  t.true(revocations.healthy());
  t.deepEqual(
    server.requests.map((request) => request.split('?')[1]),
    ['after=0&wait=0', 'after=0&wait=20'],
  );
  t.deepEqual(warnings(lines), []);
});

test('a revocation committed while following is revoked at once and reported with the time since it ended', async (t) => {
  const { database, revocations, lags } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  const sid = await database.revoke(30);
  t.true(await learnt(revocations, sid));
  t.is(lags.length, 1);
  t.true(lags[0]! > 29 && lags[0]! < 40, `lag ${lags[0]} s`);
});

test('a revocation dated ahead of the follower’s clock is reported with lag 0, not a negative one', async (t) => {
  const { database, revocations, lags } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  t.true(await learnt(revocations, await database.revoke(-30)));
  t.deepEqual(lags, [0]);
});

test('once the feed has not answered for staleAfterMs, isRevoked refuses to guess', async (t) => {
  const { database, revocations } = await following(t, { waitSeconds: 1, staleAfterMs: 400, cutFrom: 2 });
  const sid = await database.revoke();
  revocations.start();
  await revocations.ready(10_000);
  t.true(revocations.isRevoked(sid));
  const healthy = await settle(
    async () => revocations.healthy(),
    (answer) => !answer,
    { timeoutMs: 1_500, intervalMs: 20 },
  );
  t.false(healthy);
  t.throws(() => revocations.isRevoked(sid), unavailable);
});

test('an entry stops counting once no access token of its session can be valid any more', async (t) => {
  const { database, revocations } = await following(t);
  const sid = await database.revoke(SERVED - 2);
  const [row] = await database.sql<{ at: string }>(
    'SELECT extract(epoch FROM revoked_at) AS at FROM session_revocations WHERE session_id = $1',
    [sid],
  );
  const until = (Math.ceil(Number(row!.at)) + SERVED) * 1000;
  revocations.start();
  await revocations.ready(10_000);
  t.true(revocations.isRevoked(sid));
  await sleep(until - Date.now() + 100);
  t.false(revocations.isRevoked(sid));
});

test('reached resolves at once for a position already followed', async (t) => {
  const { database, revocations } = await following(t);
  await database.revoke();
  revocations.start();
  await revocations.ready(10_000);
  const started = Date.now();
  await within(30_000, 'reached', revocations.reached(await database.head(), 20_000));
  t.true(Date.now() - started < 10_000, `after ${Date.now() - started} ms`);
});

test('reached resolves as soon as the follower has followed the feed to that position', async (t) => {
  const { database, revocations } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  const reached = revocations.reached(1, 20_000);
  const sid = await database.revoke();
  const committed = Date.now();
  await within(30_000, 'reached', reached);
  t.true(Date.now() - committed < 10_000, `after ${Date.now() - committed} ms`);
  t.true(revocations.isRevoked(sid));
});

test('reached waits for the position it names, not an earlier one', async (t) => {
  const { database, revocations } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  let done = false;
  const reached = revocations.reached(2, 20_000).then(() => (done = true));
  t.true(await learnt(revocations, await database.revoke()));
  t.false(done);
  await database.revoke();
  const committed = Date.now();
  await within(30_000, 'reached', reached);
  t.true(Date.now() - committed < 10_000, `after ${Date.now() - committed} ms`);
});

test('reached gives up after its timeout, and other waiters still resolve when their position comes', async (t) => {
  const { database, revocations } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  const started = Date.now();
  const never = revocations.reached(100, 300);
  const next = revocations.reached(1, 20_000);
  await within(10_000, 'reached(100)', never);
  t.true(Date.now() - started >= 290, `gave up after ${Date.now() - started} ms`);
  await database.revoke();
  const committed = Date.now();
  await within(30_000, 'reached(1)', next);
  t.true(Date.now() - committed < 10_000, `after ${Date.now() - committed} ms`);
});

/** A follower of a path that answers 404, started; answers when it started. */
async function followingAnError(t: ExecutionContext): Promise<Following & { started: number }> {
  const follower = await following(t, { path: '/internal/no-such-feed' });
  const started = Date.now();
  follower.revocations.start();
  return { ...follower, started };
}

/** Waits (up to 7 s) until the feed's server has had `attempts` requests. */
async function attempted(server: FeedServer, attempts: number): Promise<void> {
  await settle(
    async () => server.requests.length,
    (made) => made >= attempts,
    { timeoutMs: 7_000, intervalMs: 10 },
  );
}

test('a follower of a feed answering an error never becomes ready', async (t) => {
  const { server, revocations } = await followingAnError(t);
  await t.throwsAsync(revocations.ready(1_000), {
    message: `session revocations not loaded from ${server.origin}/internal/no-such-feed within 1000 ms`,
  });
  t.throws(() => revocations.isRevoked('any'), unavailable);
});

test('a feed answering an error is retried with doubling pauses and warned of once', async (t) => {
  const { server, lines, started } = await followingAnError(t);
  // Attempts at about 0, 100, 300, 700 and 1500 ms; the next after a pause of 1.6 s.
  await attempted(server, 5);
  // Pauses that did not double (or grew to 2 s at once) would put the fifth attempt before 200 ms or after 14 s.
  const fifth = Date.now() - started;
  t.true(fifth >= 1_450 && fifth < 7_000, `fifth attempt after ${fifth} ms`);
  t.deepEqual(warnings(lines), [
    { msg: 'session revocation feed unreachable; retrying', err: 'revocation feed answered 404' },
  ]);
});

test('stop ends the pause before the next retry at once', async (t) => {
  const { server, revocations } = await followingAnError(t);
  await attempted(server, 5);
  // Into the 1.6 s pause.
  await sleep(100);
  const stopping = Date.now();
  await within(10_000, 'revocations.stop()', revocations.stop());
  t.true(Date.now() - stopping < 1_000, `stopped after ${Date.now() - stopping} ms`);
});

test('stop ends a held poll at once and warns of nothing', async (t) => {
  const { revocations, lines } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  await sleep(100);
  const stopping = Date.now();
  await within(10_000, 'revocations.stop()', revocations.stop());
  t.true(Date.now() - stopping < 10_000, `stopped after ${Date.now() - stopping} ms`);
  t.deepEqual(warnings(lines), []);
});

test('a stopped follower learns of no further revocation', async (t) => {
  const { database, revocations, lags } = await following(t);
  revocations.start();
  await revocations.ready(10_000);
  await within(10_000, 'revocations.stop()', revocations.stop());
  const sid = await database.revoke();
  await sleep(300);
  t.false(revocations.isRevoked(sid));
  t.deepEqual(lags, []);
});

test('after the feed’s database is restored to an earlier point, no known session is reported again', async (t) => {
  const { database, server, revocations, lags } = await following(t);
  await database.revoke();
  await database.revoke();
  revocations.start();
  await revocations.ready(10_000);
  const lost = await database.revoke();
  t.true(await learnt(revocations, lost));
  await database.sql('DELETE FROM session_revocations WHERE session_id = $1', [lost]);
  // The follower, ahead of the feed now, gets the whole list (within the feed's 1 s re-check) and asks from 2 on.
  await settle(
    async () => server.requests.at(-1),
    (request) => request?.endsWith('after=2&wait=20') === true,
    { timeoutMs: 10_000, intervalMs: 10 },
  );
  t.true(await learnt(revocations, await database.revoke()));
  t.is(lags.length, 2);
});

test('neither ready nor reached holds the process open for the rest of its timeout once resolved', async (t) => {
  const { database, server } = await following(t);
  // A process of its own: a pending timer shows only in when the process can exit.
  const script = `
    import { createLogger, SessionRevocations } from '@cf/kit';
    const revocations = new SessionRevocations({ url: process.argv[1], logger: createLogger({ name: 'gw', level: 'fatal' }) });
    revocations.start();
    await revocations.ready(60_000);
    await revocations.reached(1, 60_000);
    await revocations.stop();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, server.url], { stdio: 'ignore' });
  t.teardown(() => void child.kill('SIGKILL'));
  const exited = once(child, 'exit');
  // Position 1 comes once the loaded follower's poll is held.
  await settle(
    async () => server.requests.length,
    (requests) => requests >= 2,
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  await database.revoke();
  const [code] = (await within(15_000, 'the follower’s process to exit', exited)) as [number | null];
  t.is(code, 0);
});
