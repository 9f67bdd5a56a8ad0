import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes } from 'sequelize';
import { RevocationFeed, type RevocationFeedOptions } from '../../services/user-service/src/revocations/feed.ts';
import { freePort } from '../support/process.ts';
import {
  capturedLogger,
  feedDatabase,
  feedPostgresForFile,
  listening,
  startedFeed,
  warnings,
  within,
  type FeedDatabase,
} from '../support/revocation-feed.ts';

// RevocationFeed (services/user-service/src/revocations/feed.ts), the user-service side of the session-revocation
// feed, on a real PostgreSQL with user-service's schema: sessions end through the real trigger, which writes the
// feed row and notifies. Each test has a database of its own. The HTTP route and its follower are specified in
// test/kit/session-revocations.test.ts.

const postgres = feedPostgresForFile();

/** The longest access-token lifetime the tests configure (s). */
const RETENTION = 100;
/**
 * A re-check far off: in the tests of what answers a waiting poll early (a notification, stop), only that can answer
 * it within the bound, which leaves a loaded machine seconds of slack instead of the default re-check's 1 s.
 */
const NO_RECHECK = { retentionSeconds: RETENTION, recheckMs: 30_000 };
/** How long a revocation is served: the retention plus the feed's 60 s clock skew. */
const SERVED = RETENTION + 60;

const sids = (page: { revocations: { sid: string }[] }): string[] => page.revocations.map((r) => r.sid);

/**
 * Waits until `feed` listens and has made its first poll (the once-a-minute deletion and a pool connection opened),
 * so that a poll made next starts waiting within milliseconds.
 */
async function waiting(database: FeedDatabase, feed: RevocationFeed): Promise<void> {
  await listening(database);
  await feed.since(0, 0);
}

/** The backend and listening channels of the one connection a pool of 1 holds. */
async function pooledConnection(database: FeedDatabase): Promise<{ pid: number; channels: string[] }[]> {
  return database.db.sequelize.query<{ pid: number; channels: string[] }>(
    'SELECT pg_backend_pid() AS pid, ARRAY(SELECT pg_listening_channels()) AS channels',
    { type: QueryTypes.SELECT },
  );
}

test('a poll from position 0 answers every revocation still served, oldest first, at the feed head', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  const first = await database.revoke();
  const second = await database.revoke();
  const page = await feed.since(0, 0);
  t.deepEqual(sids(page), [first, second]);
  t.is(page.version, await database.head());
  t.false(page.more);
});

test('a revocation carries when the session ended and until when its tokens can still be valid', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  const sid = await database.revoke(30);
  const [row] = await database.sql<{ at: string }>(
    'SELECT extract(epoch FROM revoked_at) AS at FROM session_revocations WHERE session_id = $1',
    [sid],
  );
  const at = Number(row!.at);
  t.deepEqual((await feed.since(0, 0)).revocations, [{ sid, revokedAt: at, until: Math.ceil(at) + SERVED }]);
});

test('revocations older than the retention plus 60 s are no longer served', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  await database.revoke(SERVED + 10);
  const recent = await database.revoke(SERVED - 10);
  t.deepEqual(sids(await feed.since(0, 0)), [recent]);
});

test('a poll whose only news is no longer served answers at once with the new position', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, NO_RECHECK);
  await waiting(database, feed);
  await database.revoke(SERVED + 10);
  const started = Date.now();
  const page = await within(30_000, 'the poll', feed.since(0, 20_000));
  t.deepEqual(page, { version: await database.head(), more: false, revocations: [] });
  t.true(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
});

test('with nothing new a poll waits out its wait and answers no revocations at the same position', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION, recheckMs: 5_000 });
  await database.revoke();
  await waiting(database, feed);
  const head = await database.head();
  const started = Date.now();
  const page = await within(10_000, 'the poll', feed.since(head, 400));
  const elapsed = Date.now() - started;
  t.deepEqual(page, { version: head, more: false, revocations: [] });
  // Its own wait, not the next re-check (5 s).
  t.true(elapsed >= 390 && elapsed < 2_500, `answered after ${elapsed} ms`);
});

// How a revocation reaches a poll that waits for one: by its notification (with a re-check 30 s off, only that can
// answer within the bound), or, written without one, by the 1 s re-check — either way long before the 20 s wait ends.
const REACHING: [string, RevocationFeedOptions, (database: FeedDatabase) => Promise<string>][] = [
  ['a revocation committed while a poll waits answers that poll at once', NO_RECHECK, (db) => db.revoke()],
  [
    'a revocation written without a notification is still found by the re-check within about a second',
    { retentionSeconds: RETENTION },
    (db) => db.revokeQuietly(),
  ],
];

for (const [title, options, write] of REACHING) {
  test(title, async (t) => {
    const database = await feedDatabase(t, postgres);
    const feed = startedFeed(t, database, options);
    await waiting(database, feed);
    const poll = feed.since(await database.head(), 20_000);
    // The poll has read the feed and waits: the write must come after its first read to be news to it.
    await sleep(200);
    const sid = await write(database);
    const written = Date.now();
    t.deepEqual(sids(await within(30_000, 'the poll', poll)), [sid]);
    t.true(Date.now() - written < 10_000, `answered ${Date.now() - written} ms after the write`);
  });
}

test('a waiting poll reads the feed again about once a second, not continually', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  await waiting(database, feed);
  let queries = 0;
  database.db.sequelize.addHook('beforeQuery', () => void (queries += 1));
  await within(10_000, 'the poll', feed.since(0, 1_500));
  // Two reads (head, then rows) at 0, 1000 and 1500 ms.
  t.true(queries <= 8, `${queries} queries`);
});

test('a follower ahead of the feed, as after a database restore, gets the whole list again', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  const sid = await database.revoke();
  const head = await database.head();
  const page = await feed.since(head + 5, 0);
  t.deepEqual(sids(page), [sid]);
  t.is(page.version, head);
});

test('a page holds at most pageSize revocations, says there are more, and is positioned at its last', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION, pageSize: 3 });
  const revoked = [await database.revoke(), await database.revoke(), await database.revoke(), await database.revoke()];
  const seqs = (await database.sql<{ seq: string }>('SELECT seq FROM session_revocations ORDER BY seq')).map((row) =>
    Number(row.seq),
  );
  const first = await feed.since(0, 0);
  t.deepEqual([first.version, first.more], [seqs[2], true]);
  t.deepEqual(sids(first), revoked.slice(0, 3));
  const rest = await feed.since(first.version, 0);
  t.deepEqual(sids(rest), revoked.slice(3));
  t.deepEqual([rest.version, rest.more], [seqs[3], false]);
});

test('a poll deletes rows older than twice the serving time, except the newest, so the head stays', async (t) => {
  const database = await feedDatabase(t, postgres);
  await database.revoke(2 * SERVED + 20);
  const kept = await database.revoke(2 * SERVED - 20);
  const newest = await database.revoke(2 * SERVED + 80);
  const head = await database.head();
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  t.deepEqual(await feed.since(0, 0), { version: head, more: false, revocations: [] });
  const left = await database.sql<{ session_id: string }>('SELECT session_id FROM session_revocations ORDER BY seq');
  t.deepEqual(
    left.map((row) => row.session_id),
    [kept, newest],
  );
});

test('rows are deleted at most once a minute', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  await feed.since(0, 0);
  const old = await database.revoke(2 * SERVED + 20);
  await database.revoke();
  await feed.since(0, 0);
  const left = await database.sql<{ n: string }>(
    'SELECT count(*) AS n FROM session_revocations WHERE session_id = $1',
    [old],
  );
  t.is(Number(left[0]!.n), 1);
});

test('stop answers a waiting poll at once with what it has', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, NO_RECHECK);
  await waiting(database, feed);
  const head = await database.head();
  const poll = feed.since(head, 20_000);
  await sleep(50);
  const stopping = Date.now();
  await within(10_000, 'feed.stop()', feed.stop());
  t.deepEqual(await within(30_000, 'the poll', poll), { version: head, more: false, revocations: [] });
  t.true(Date.now() - stopping < 10_000, `answered ${Date.now() - stopping} ms after stop`);
});

test('a poll made after stop answers at once', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, NO_RECHECK);
  await waiting(database, feed);
  await within(10_000, 'feed.stop()', feed.stop());
  const started = Date.now();
  await within(30_000, 'the poll', feed.since(0, 20_000));
  t.true(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
});

test('the feed listens on one pooled connection and gives it back, no longer listening, on stop', async (t) => {
  const database = await feedDatabase(t, postgres, { poolMax: 1 });
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  const pid = await listening(database);
  await within(10_000, 'feed.stop()', feed.stop());
  t.deepEqual(await pooledConnection(database), [{ pid, channels: [] }]);
});

test('a feed stopped before its connection arrives never listens and gives the connection back', async (t) => {
  const database = await feedDatabase(t, postgres, { poolMax: 1 });
  const feed = new RevocationFeed(database.db.sequelize, capturedLogger('user-service').logger, {
    retentionSeconds: RETENTION,
  });
  feed.start();
  await within(10_000, 'feed.stop()', feed.stop());
  t.deepEqual(await database.listeners(), []);
  t.deepEqual((await pooledConnection(database)).at(0)?.channels, []);
});

test('a lost listening connection is replaced after a pause, and the pool loses no connection', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, { retentionSeconds: RETENTION });
  const first = await listening(database);
  // Timed from before the call: the feed may notice the loss before the call returns.
  const lost = Date.now();
  await database.sql('SELECT pg_terminate_backend($1::int, 5000)', [first]);
  let second = first;
  while (second === first && Date.now() - lost < 5_000) {
    second = (await database.listeners())[0] ?? first;
    await sleep(10);
  }
  const paused = Date.now() - lost;
  t.not(second, first);
  t.true(paused >= 200 && paused < 5_000, `listening again after ${paused} ms`);
  // The feed still serves from its pool of 2: the lost connection no longer counts against it.
  t.deepEqual(await within(10_000, 'the poll', feed.since(0, 0)), { version: 0, more: false, revocations: [] });
});

test('a revocation committed while the feed was not listening wakes waiting polls once it listens again', async (t) => {
  const database = await feedDatabase(t, postgres);
  const feed = startedFeed(t, database, NO_RECHECK);
  const first = await listening(database);
  const started = Date.now();
  const poll = feed.since(await database.head(), 20_000);
  await database.sql('SELECT pg_terminate_backend($1::int, 5000)', [first]);
  // Its notification reaches no one: the feed waits 250 ms before listening again.
  const sid = await database.revoke();
  t.deepEqual(sids(await within(30_000, 'the poll', poll)), [sid]);
  // Long before the end of the poll's wait, the only other thing that would answer it.
  t.true(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
});

/** Resolves once `lines` hold `count` warnings (bounded: throws after 10 s), with the ms it took. */
async function warned(lines: readonly string[], count: number): Promise<number> {
  const started = Date.now();
  while (warnings(lines).length < count) {
    if (Date.now() - started > 10_000) throw new Error(`${warnings(lines).length} of ${count} warnings in 10 s`);
    await sleep(10);
  }
  return Date.now() - started;
}

test('while PostgreSQL is unreachable the feed warns and retries after 250 ms, doubling the pause', async (t) => {
  const database = await feedDatabase(t, postgres, { port: await freePort() });
  const { logger, lines } = capturedLogger('user-service');
  startedFeed(t, database, { retentionSeconds: RETENTION }, logger);
  // Attempts at about 0, 250 and 750 ms: a pause that did not double would bring the third at 500 ms.
  const third = await warned(lines, 3);
  t.true(third >= 700 && third < 5_000, `third attempt after ${third} ms`);
  const seen = warnings(lines);
  t.is(seen[0]?.msg, 'revocation listener lost; retrying');
  t.regex(seen[0]?.err ?? '', /ECONNREFUSED/);
});

test('a feed stopped while PostgreSQL is unreachable stops at once, without waiting out its pause, and warns no more', async (t) => {
  const database = await feedDatabase(t, postgres, { port: await freePort() });
  const { logger, lines } = capturedLogger('user-service');
  const feed = new RevocationFeed(database.db.sequelize, logger, { retentionSeconds: RETENTION });
  feed.start();
  // The third attempt has failed: the pause before the fourth is 1 s.
  await warned(lines, 3);
  const started = Date.now();
  await within(10_000, 'feed.stop()', feed.stop());
  t.true(Date.now() - started < 600, `stopped after ${Date.now() - started} ms`);
  await sleep(1_500);
  t.is(warnings(lines).length, 3);
});
