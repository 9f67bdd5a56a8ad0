import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '@cf/kit';
import type { CountResult } from '../../services/api-gateway/src/shared-counts.ts';
import {
  countsOn,
  eventually,
  freshKey,
  rowOf,
  settled,
  sharedCountsPostgresForFile,
  slowKey,
  storeFor as storeOn,
} from './shared-counts-fixture.ts';

// The gateway's write-behind counter (shared-counts.ts) against a real PostgreSQL, without a gateway around it:
// what a count answers, when, and what the `rate_limits` table holds afterwards. Two SharedCounts on one table
// stand for two replicas. Failures, deadlines, closing and the purge: shared-counts-store.test.ts.

const postgres = sharedCountsPostgresForFile();
const storeFor = (t: ExecutionContext): Promise<Database> => storeOn(t, postgres);

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
