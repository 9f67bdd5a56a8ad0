import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@cf/kit';
import { QueryTypes } from 'sequelize';
import { RATE_LIMITS_TABLE } from '../../services/api-gateway/src/rate-limit-store.ts';
import { StoreUnavailable } from '../../services/api-gateway/src/shared-counts.ts';
import { unreachableDatabase } from '../support/kit-database.ts';
import {
  countsOn,
  eventually,
  freshKey,
  rowOf,
  settled,
  sharedCountsPostgresForFile,
  slowKey,
  storeFor as storeOn,
  type Counter,
} from './shared-counts-fixture.ts';

// SharedCounts (shared-counts.ts) when PostgreSQL fails, is slow or goes away, when it closes, and its purge of
// ended rows, against a real PostgreSQL. What a count answers when all is well: shared-counts.test.ts.

const postgres = sharedCountsPostgresForFile();
const storeFor = (t: ExecutionContext): Promise<Database> => storeOn(t, postgres);

test('closing a counter with nothing to write does not ask the store', async (t) => {
  const { counts, failures } = countsOn(t, await unreachableDatabase(t, postgres));
  await counts.close();
  t.deepEqual(failures, []);
});

// Serial: it counts every statement of the table in flight.
test.serial('at most one flush runs at a time', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { syncMs: 300, timeoutMs: 5_000 });
  // Looked at from a pool of its own: the counter's two connections may both be busy.
  const observer = await storeFor(t);
  const key = slowKey(1_000);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  // Past the budget: flushed at once, with the admitted count, instead of at the next sync.
  const waiting = counts.count(key, 10, 1);
  await sleep(100);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  // Past the sync period, while the first flush still sleeps in PostgreSQL.
  await sleep(500);
  const [inFlight] = (await observer.sequelize.query(
    `SELECT count(*)::integer AS statements FROM pg_stat_activity
      WHERE state = 'active' AND query LIKE 'INSERT INTO ${RATE_LIMITS_TABLE}%'`,
    { type: QueryTypes.SELECT },
  )) as { statements: number }[];
  t.is(inFlight?.statements, 1);
  t.deepEqual(await waiting, { admitted: true });
});

test('with PostgreSQL unreachable a waiting count fails with StoreUnavailable, and the failure is reported once', async (t) => {
  const { counts, failures } = countsOn(t, await unreachableDatabase(t, postgres), { timeoutMs: 1_000 });
  const started = Date.now();
  const error = await t.throwsAsync(settled(counts.count(freshKey(), 10, 0)), { instanceOf: StoreUnavailable });
  t.true(Date.now() - started < 10_000);
  t.is(error?.name, 'StoreUnavailable');
  t.is(error?.message, 'rate-limit store unavailable');
  t.true(error?.cause instanceof Error);
  // Past the count's own deadline too: the failed flush answered it, and nothing else reports it again.
  await sleep(1_200);
  t.is(failures.length, 1);
});

test('with PostgreSQL unreachable counts admitted from the budget stay admitted, and the failed flush is reported', async (t) => {
  const { counts, failures } = countsOn(t, await unreachableDatabase(t, postgres));
  t.deepEqual(counts.count(freshKey(), 10, 1), { admitted: true });
  await eventually(
    async () => failures.length,
    (length) => length > 0,
  );
  await sleep(200);
  t.is(failures.length, 1);
});

test('a waiting count whose flush does not answer within timeoutMs fails with StoreUnavailable', async (t) => {
  const { counts, failures } = countsOn(t, await storeFor(t), { timeoutMs: 300 });
  const started = Date.now();
  // An admitted count of another key in the same flush does not lengthen the waiting count's deadline.
  t.deepEqual(counts.count(freshKey(), 10, 1), { admitted: true });
  const error = await t.throwsAsync(settled(counts.count(slowKey(2_000), 10, 0)), { instanceOf: StoreUnavailable });
  t.true(Date.now() - started < 2_000);
  t.is((error?.cause as Error | undefined)?.message, 'no answer within 300 ms');
  // Reported twice: by the count that waited past its deadline and by the flush that missed it.
  await sleep(200);
  t.is(failures.length, 2);
});

test('a flush carrying only admitted counts may take up to 4 times timeoutMs without being a failure', async (t) => {
  const db = await storeFor(t);
  const { counts, failures } = countsOn(t, db, { timeoutMs: 1_000 });
  const key = slowKey(1_500);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  const row = await eventually(
    () => rowOf(db, key),
    (value) => value !== undefined,
  );
  t.is(row?.points, 1);
  t.deepEqual(failures, []);
});

test('a flush carrying only admitted counts that takes longer than 4 times timeoutMs is a failure', async (t) => {
  const { counts, failures } = countsOn(t, await storeFor(t), { timeoutMs: 150 });
  const started = Date.now();
  t.deepEqual(counts.count(slowKey(2_000), 10, 1), { admitted: true });
  await eventually(
    async () => failures.length,
    (length) => length > 0,
  );
  // Reported at the flush's own deadline, before the slow statement ended.
  t.true(Date.now() - started < 2_000);
  t.is((failures[0] as Error | undefined)?.message, 'no answer within 600 ms');
  t.is(failures.length, 1);
});

test('a count that arrives during a failing flush is answered by the next flush', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { timeoutMs: 1_000, syncMs: 60_000 });
  // A key the counter knows that waits for nothing: one waiting key is enough for the next flush.
  await settled(counts.count(freshKey(), 10, 0));
  // Only the first flush, which adds 2, is slow; the next one adds 1 and is quick.
  const key = slowKey(2_500, 2);
  const first = [settled(counts.count(key, 10, 0)), settled(counts.count(key, 10, 0))];
  await sleep(500);
  const later = settled(counts.count(key, 10, 0));
  for (const result of await Promise.allSettled(first)) {
    t.true(result.status === 'rejected' && result.reason instanceof StoreUnavailable);
  }
  t.deepEqual(await later, { admitted: true });
});

test('a count that gave up waiting during a slow flush is not written by the next one', async (t) => {
  const db = await storeFor(t);
  const { counts, failures } = countsOn(t, db, { timeoutMs: 600 });
  const key = slowKey(1_200);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  await sleep(100);
  // The admitted count's flush may take 4 × 600 ms; this count waits for the next flush only 600 ms.
  await t.throwsAsync(settled(counts.count(key, 10, 0)), { instanceOf: StoreUnavailable });
  t.is(failures.length, 1);
  const row = await eventually(
    () => rowOf(db, key),
    (value) => value !== undefined,
  );
  t.is(row?.points, 1);
  // Long enough for a second slow flush to have written (and reported) anything it carried.
  await sleep(1_500);
  t.is((await rowOf(db, key))?.points, 1);
  t.is(failures.length, 1);
});

test('close writes the counts not yet written', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db, { syncMs: 60_000 });
  const key = freshKey();
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  await counts.close();
  t.is((await rowOf(db, key))?.points, 1);
});

test('close waits for a flush that is running', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  const key = slowKey(500);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  await sleep(100);
  await counts.close();
  t.is((await rowOf(db, key))?.points, 1);
});

/** Rows of `keys` whose window ended a second ago. */
async function endedRows(db: Database, keys: string[]): Promise<void> {
  for (const key of keys) {
    await db.sequelize.query(`INSERT INTO ${RATE_LIMITS_TABLE} (key, points, expire) VALUES ($1, 1, $2)`, {
      bind: [key, Date.now() - 1_000],
    });
  }
}

/** A counter made 5 minutes ago, without waiting them out: only its construction reads this clock. */
function countsMadeFiveMinutesAgo(t: ExecutionContext, db: Database): Counter {
  const now = Date.now;
  Date.now = () => now() - 300_000;
  try {
    return countsOn(t, db);
  } finally {
    Date.now = now;
  }
}

// Serial: deleting ended rows deletes every test's, and ava runs serial tests before the others.
test.serial('every 5 minutes a flush deletes the rows whose window ended, and only those', async (t) => {
  const db = await storeFor(t);
  const ended = freshKey();
  await endedRows(db, [ended]);
  const { counts } = countsMadeFiveMinutesAgo(t, db);
  const current = freshKey();
  t.deepEqual(counts.count(current, 10, 1), { admitted: true });
  t.is(
    await eventually(
      () => rowOf(db, ended),
      (row) => row === undefined,
    ),
    undefined,
  );
  const row = await eventually(
    () => rowOf(db, current),
    (value) => value !== undefined,
  );
  t.is(row?.points, 1);
});

test.serial('after deleting ended rows a counter waits 5 minutes before it deletes again', async (t) => {
  const db = await storeFor(t);
  const first = freshKey();
  await endedRows(db, [first]);
  const { counts } = countsMadeFiveMinutesAgo(t, db);
  await settled(counts.count(freshKey(), 10, 0));
  // The deletion is not awaited by the flush: once this row is gone, it is over.
  await eventually(
    () => rowOf(db, first),
    (row) => row === undefined,
  );
  const second = freshKey();
  await endedRows(db, [second]);
  await settled(counts.count(freshKey(), 10, 0));
  await sleep(200);
  t.is((await rowOf(db, second))?.points, 1);
});

test.serial('a counter younger than 5 minutes deletes no ended row', async (t) => {
  const db = await storeFor(t);
  const ended = freshKey();
  await endedRows(db, [ended]);
  const { counts } = countsOn(t, db);
  await settled(counts.count(freshKey(), 10, 0));
  await sleep(200);
  t.is((await rowOf(db, ended))?.points, 1);
});
