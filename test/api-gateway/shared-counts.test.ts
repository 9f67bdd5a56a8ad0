import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@cf/kit';
import { QueryTypes } from 'sequelize';
import { RATE_LIMITS_TABLE, rateLimitMigrations } from '../../services/api-gateway/src/rate-limit-store.ts';
import {
  SharedCounts,
  StoreUnavailable,
  type CountResult,
  type SharedCountsOptions,
} from '../../services/api-gateway/src/shared-counts.ts';
import { kitDatabase, migratedPostgresForFile, unreachableDatabase } from '../support/kit-database.ts';

// The gateway's write-behind counter (shared-counts.ts) against a real PostgreSQL, without a gateway around it:
// what a count answers, when, and what the `rate_limits` table holds afterwards. Two SharedCounts on one table
// stand for two replicas.

const DATABASE = 'gateway';
const postgres = migratedPostgresForFile(DATABASE, rateLimitMigrations);

// A slow PostgreSQL for real, for keys that ask for it: `slow:<ms>:<min delta>:<id>` sleeps <ms> before the row is
// written whenever a flush adds at least <min delta> to it. Only those keys are slowed, so the other tests of the
// file run alongside.
test.serial.before(async () => {
  const db = kitDatabase(postgres, { port: postgres.port, database: DATABASE });
  try {
    await db.sequelize.query(`
      CREATE FUNCTION slow_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE parts text[] := string_to_array(NEW.key, ':');
      BEGIN
        IF parts[1] = 'slow' AND NEW.points >= parts[3]::integer THEN
          PERFORM pg_sleep(parts[2]::integer / 1000.0);
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER slow_keys BEFORE INSERT ON ${RATE_LIMITS_TABLE} FOR EACH ROW EXECUTE FUNCTION slow_keys();`);
  } finally {
    await db.close();
  }
});

/** A key no other test counts. */
const freshKey = (): string => `ip:test-${randomUUID()}`;

/** A key whose writes take `sleepMs` in PostgreSQL whenever a flush adds at least `minDelta` to it. */
const slowKey = (sleepMs: number, minDelta = 1): string => `slow:${sleepMs}:${minDelta}:${randomUUID()}`;

/**
 * A pool of its own on this file's PostgreSQL (a slow statement holds a connection), closed when `t` ends. Both
 * its connections are opened here, so that opening one on a loaded machine does not count against a deadline.
 */
async function storeFor(t: ExecutionContext): Promise<Database> {
  const db = kitDatabase(postgres, { port: postgres.port, database: DATABASE });
  t.teardown(() => db.close());
  await Promise.all([db.sequelize.query('SELECT pg_sleep(0.05)'), db.sequelize.query('SELECT pg_sleep(0.05)')]);
  return db;
}

interface Counter {
  counts: SharedCounts;
  /** Every error `onFailure` was called with, in order. */
  failures: unknown[];
}

/** A SharedCounts on `db` (a minute's window unless told), closed when `t` ends, before `db` is. */
function countsOn(t: ExecutionContext, db: Database, options: Partial<SharedCountsOptions> = {}): Counter {
  const failures: unknown[] = [];
  const counts = new SharedCounts({
    store: db.sequelize,
    windowMs: 60_000,
    timeoutMs: 1_000,
    syncMs: 20,
    onFailure: (error) => failures.push(error),
    ...options,
  });
  t.teardown(() => counts.close().catch(() => undefined));
  return { counts, failures };
}

/** The row of `key` in the table, as numbers, or undefined. */
async function rowOf(db: Database, key: string): Promise<{ points: number; expire: number } | undefined> {
  const [rows] = (await db.sequelize.query(`SELECT points, expire FROM ${RATE_LIMITS_TABLE} WHERE key = $1`, {
    bind: [key],
  })) as [{ points: number; expire: string }[], unknown];
  const row = rows[0];
  return row === undefined ? undefined : { points: Number(row.points), expire: Number(row.expire) };
}

/** Polls `read` until `done` holds of its value, for at most `boundMs` (then returns the last value). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, boundMs = 5_000): Promise<T> {
  const until = Date.now() + boundMs;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await sleep(20);
    value = await read();
  }
  return value;
}

/** What a count answered, awaited when it had to wait. */
async function settled(result: CountResult | Promise<CountResult>): Promise<CountResult> {
  return result;
}

test('a count within the budget is admitted at once and written to the table within syncMs', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  const key = freshKey();
  const before = Date.now();
  const answers = [counts.count(key, 10, 3), counts.count(key, 10, 3)];
  const after = Date.now();
  t.deepEqual(answers, [{ admitted: true }, { admitted: true }]);
  const row = await eventually(
    () => rowOf(db, key),
    (value) => value !== undefined,
  );
  t.is(row?.points, 2);
  t.true(row !== undefined && row.expire >= before + 60_000 && row.expire <= after + 60_000 + 1_000);
});

test('a count past the budget waits for the next flush, which admits it within the limit', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  const key = freshKey();
  t.deepEqual([counts.count(key, 10, 2), counts.count(key, 10, 2)], [{ admitted: true }, { admitted: true }]);
  const third = counts.count(key, 10, 2);
  t.true(third instanceof Promise);
  t.deepEqual(await third, { admitted: true });
  t.is((await rowOf(db, key))?.points, 3);
});

test('waiting counts take their places after the counts admitted from the budget', async (t) => {
  const { counts } = countsOn(t, await storeFor(t));
  const key = freshKey();
  // Places 1 and 2 are the budget's, so the first waiting count is third (within 3) and the next fourth (over).
  const answers = await Promise.all(Array.from({ length: 4 }, () => settled(counts.count(key, 3, 2))));
  t.deepEqual(
    answers.map((answer) => answer.admitted),
    [true, true, true, false],
  );
});

test('with budget 0 every count waits for its place in the table', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  const key = freshKey();
  const first = counts.count(key, 10, 0);
  const second = counts.count(key, 10, 0);
  t.true(first instanceof Promise);
  t.true(second instanceof Promise);
  t.deepEqual(await Promise.all([first, second]), [{ admitted: true }, { admitted: true }]);
  t.is((await rowOf(db, key))?.points, 2);
});

test('a count made while another waits for the flush waits too, whatever budget it carries', async (t) => {
  const { counts } = countsOn(t, await storeFor(t));
  const key = freshKey();
  const waiting = counts.count(key, 10, 0);
  const behind = counts.count(key, 10, 5);
  t.true(behind instanceof Promise);
  t.deepEqual(await Promise.all([waiting, behind]), [{ admitted: true }, { admitted: true }]);
});

test('two replicas counting one key add up in one row', async (t) => {
  const db = await storeFor(t);
  const first = countsOn(t, db).counts;
  const second = countsOn(t, await storeFor(t)).counts;
  const key = freshKey();
  await Promise.all([settled(first.count(key, 10, 0)), settled(first.count(key, 10, 0))]);
  t.deepEqual(await settled(second.count(key, 10, 0)), { admitted: true });
  t.is((await rowOf(db, key))?.points, 3);
});

test('a replica refuses at once a key whose total across replicas reached the limit', async (t) => {
  const db = await storeFor(t);
  const first = countsOn(t, db).counts;
  const second = countsOn(t, await storeFor(t)).counts;
  const key = freshKey();
  await Promise.all([settled(first.count(key, 3, 0)), settled(first.count(key, 3, 0))]);
  // The second replica's flush returns the total of both: 3, the limit.
  t.deepEqual(await settled(second.count(key, 3, 0)), { admitted: true });
  // Some time passes within the window, so the answer tells what is left of it, not the whole window.
  await sleep(100);
  const refused = second.count(key, 3, 1);
  t.false(refused instanceof Promise);
  t.false(refused instanceof Promise || refused.admitted);
  const msBeforeNext = refused instanceof Promise || refused.admitted ? -1 : refused.msBeforeNext;
  t.true(msBeforeNext > 0 && msBeforeNext <= 60_000 - 100, `msBeforeNext ${msBeforeNext}`);
  // Refused from memory: nothing more was written.
  await sleep(100);
  t.is((await rowOf(db, key))?.points, 3);
});

test('a replica refuses at once once its own unwritten counts reach the limit', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { syncMs: 60_000 });
  const key = freshKey();
  t.deepEqual([counts.count(key, 2, 5), counts.count(key, 2, 5)], [{ admitted: true }, { admitted: true }]);
  // No flush has told the window's end yet: the caller is told to wait a whole window.
  t.deepEqual(counts.count(key, 2, 5), { admitted: false, msBeforeNext: 60_000 });
});

test('with points N and budget 0, exactly N counts are admitted and the next is refused until the window ends', async (t) => {
  const { counts } = countsOn(t, await storeFor(t));
  const key = freshKey();
  const answers: CountResult[] = [];
  for (let i = 0; i < 4; i += 1) answers.push(await settled(counts.count(key, 3, 0)));
  t.deepEqual(
    answers.slice(0, 3).map((answer) => answer.admitted),
    [true, true, true],
  );
  const refused = answers[3];
  t.is(refused?.admitted, false);
  const msBeforeNext = refused === undefined || refused.admitted ? -1 : refused.msBeforeNext;
  t.true(msBeforeNext > 0 && msBeforeNext <= 60_000, `msBeforeNext ${msBeforeNext}`);
});

test('of five counts waiting on one flush with points 3, the first three are admitted and two refused', async (t) => {
  const { counts } = countsOn(t, await storeFor(t));
  const key = freshKey();
  const answers = await Promise.all(Array.from({ length: 5 }, () => settled(counts.count(key, 3, 0))));
  t.deepEqual(
    answers.map((answer) => answer.admitted),
    [true, true, true, false, false],
  );
  for (const answer of answers.slice(3)) {
    const msBeforeNext = answer.admitted ? -1 : answer.msBeforeNext;
    t.true(msBeforeNext > 0 && msBeforeNext <= 60_000, `msBeforeNext ${msBeforeNext}`);
  }
});

test('once the window ends the key is admitted again and its row counts from the new window', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db, { windowMs: 1_000 });
  const key = freshKey();
  t.deepEqual(await settled(counts.count(key, 2, 0)), { admitted: true });
  t.deepEqual(await settled(counts.count(key, 2, 0)), { admitted: true });
  const ended = await rowOf(db, key);
  await sleep(1_100);
  t.deepEqual(await settled(counts.count(key, 2, 0)), { admitted: true });
  const row = await rowOf(db, key);
  t.is(row?.points, 1);
  t.true(row !== undefined && ended !== undefined && row.expire > ended.expire);
});

test('a key refused from memory in a new window before its first flush is told to wait a whole window', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { windowMs: 300 });
  const key = freshKey();
  t.deepEqual(await settled(counts.count(key, 1, 0)), { admitted: true });
  await sleep(400);
  t.deepEqual(counts.count(key, 1, 1), { admitted: true });
  // The ended window's end is no answer: the new window's end is not known before the next flush.
  t.deepEqual(counts.count(key, 1, 1), { admitted: false, msBeforeNext: 300 });
});

test('a key whose window ended is forgotten, so its next count is held to the limit it now comes with', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { windowMs: 1_000 });
  const key = freshKey();
  t.deepEqual(await settled(counts.count(key, 1, 0)), { admitted: true });
  await sleep(1_100);
  // Another key's flush, a window after the counter started, forgets the keys whose window ended.
  await settled(counts.count(freshKey(), 1, 0));
  const answers = await Promise.all([settled(counts.count(key, 5, 0)), settled(counts.count(key, 5, 0))]);
  t.deepEqual(answers, [{ admitted: true }, { admitted: true }]);
});

test('forgetting the ended keys keeps what the counter knows of the keys whose window goes on', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { windowMs: 2_000 });
  await sleep(1_000);
  const going = freshKey();
  t.deepEqual(await settled(counts.count(going, 1, 0)), { admitted: true });
  await sleep(1_100);
  // This flush, a window after the counter started, forgets the ended keys; the next ones, within a window of it,
  // forget none.
  await settled(counts.count(freshKey(), 1, 0));
  const after = freshKey();
  t.deepEqual(await settled(counts.count(after, 1, 0)), { admitted: true });
  // Both keys are at their limit, as the counter learned from its flushes: refused from memory.
  for (const key of [going, after]) {
    const refused = counts.count(key, 1, 1);
    t.false(refused instanceof Promise || refused.admitted, key);
  }
});

test('a key counted by the flush that forgets ended keys keeps the total that flush learned', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { windowMs: 1_000 });
  await sleep(1_100);
  // The first flush a window after the counter started forgets ended keys, and this key is in it.
  const key = freshKey();
  t.deepEqual(await settled(counts.count(key, 1, 0)), { admitted: true });
  // The flush told the counter the key is at its limit: refused from memory, with what is left of the window.
  const refused = counts.count(key, 1, 1);
  t.false(refused instanceof Promise, 'answered from memory');
  t.false((refused as CountResult).admitted);
  const left = (refused as { msBeforeNext: number }).msBeforeNext;
  t.true(left > 0 && left < 1_000, `${left} ms left of the window`);
});

test('a flush leaves alone the rows of keys it has no counts for', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db, { windowMs: 1_000 });
  const key = freshKey();
  await settled(counts.count(key, 10, 0));
  const written = await rowOf(db, key);
  await sleep(1_100);
  await settled(counts.count(freshKey(), 10, 0));
  t.deepEqual(await rowOf(db, key), written);
});

test('counts admitted at different times are each written', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  const key = freshKey();
  t.deepEqual(counts.count(key, 10, 5), { admitted: true });
  const first = await eventually(
    () => rowOf(db, key),
    (row) => row !== undefined,
  );
  t.is(first?.points, 1);
  t.deepEqual(counts.count(key, 10, 5), { admitted: true });
  const second = await eventually(
    () => rowOf(db, key),
    (row) => row?.points !== 1,
  );
  t.is(second?.points, 2);
});

test('counts admitted without a pause are written every syncMs, not once they pause', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db, { syncMs: 100 });
  const key = freshKey();
  let admitted = 0;
  let row: Awaited<ReturnType<typeof rowOf>>;
  const until = Date.now() + 5_000;
  do {
    t.deepEqual(counts.count(key, 1_000, 1_000), { admitted: true });
    admitted += 1;
    await sleep(20);
    row = await rowOf(db, key);
  } while (row === undefined && Date.now() < until);
  t.not(row, undefined);
  t.true(admitted < 250);
});

test('a count admitted during a flush is written by the next flush', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  // A key the counter knows with nothing to write: one key with a count is enough for the next flush.
  await settled(counts.count(freshKey(), 10, 0));
  const key = slowKey(500);
  t.deepEqual(counts.count(key, 10, 5), { admitted: true });
  await sleep(200);
  t.deepEqual(counts.count(key, 10, 5), { admitted: true });
  const row = await eventually(
    () => rowOf(db, key),
    (value) => value?.points === 2,
  );
  t.is(row?.points, 2);
});

test('a count past the budget is counted at once, without waiting for the next sync', async (t) => {
  const { counts } = countsOn(t, await storeFor(t), { syncMs: 60_000, timeoutMs: 5_000 });
  const key = freshKey();
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  t.deepEqual(await settled(counts.count(key, 10, 1)), { admitted: true });
});

test('two replicas flushing the same keys at once do not deadlock', async (t) => {
  const { counts: first, failures: firstFailures } = countsOn(t, await storeFor(t), { timeoutMs: 5_000 });
  const { counts: second, failures: secondFailures } = countsOn(t, await storeFor(t), { timeoutMs: 5_000 });
  // Each statement sleeps before it writes `slow`: written in the order a replica came to know the keys, the
  // replica that starts first would hold one key and wait for the other while the second held that one. Both
  // orders are tried, so that no order a replica could derive from its own history passes.
  for (const startsWithSlow of [true, false]) {
    const quick = freshKey();
    const slow = slowKey(1_000);
    const [early, late] = startsWithSlow ? [slow, quick] : [quick, slow];
    const firstAnswers = [settled(first.count(early, 10, 0)), settled(first.count(late, 10, 0))];
    await sleep(300);
    const secondAnswers = [settled(second.count(late, 10, 0)), settled(second.count(early, 10, 0))];
    t.deepEqual(await Promise.all([...firstAnswers, ...secondAnswers]), Array(4).fill({ admitted: true }));
  }
  t.deepEqual([...firstFailures, ...secondFailures], []);
});

test('at the instant a window ends the key counts in a new window, as the table has it', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db);
  const key = freshKey();
  t.deepEqual(await settled(counts.count(key, 1, 0)), { admitted: true });
  const expire = (await rowOf(db, key))?.expire ?? 0;
  // The end is one millisecond: the (synchronous) count is asked at exactly that instant.
  const now = Date.now;
  Date.now = () => expire;
  let answer: CountResult | Promise<CountResult>;
  try {
    answer = counts.count(key, 1, 1);
  } finally {
    Date.now = now;
  }
  t.deepEqual(answer, { admitted: true });
});

test('a count admitted during a flush waits for the next sync to be written', async (t) => {
  const db = await storeFor(t);
  const { counts } = countsOn(t, db, { syncMs: 60_000, timeoutMs: 5_000 });
  // Only the first flush, which adds 2, is slow.
  const key = slowKey(300, 2);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  const waiting = counts.count(key, 10, 1);
  await sleep(100);
  t.deepEqual(counts.count(key, 10, 1), { admitted: true });
  t.deepEqual(await waiting, { admitted: true });
  await sleep(500);
  t.is((await rowOf(db, key))?.points, 2);
  await counts.close();
  t.is((await rowOf(db, key))?.points, 3);
});

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
