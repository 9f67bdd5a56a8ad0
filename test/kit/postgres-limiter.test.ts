import test from 'ava';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { LimitCheckDeadlineExceeded, PostgresLimiter, sqlStatements, type Database } from '@cf/kit';
import {
  kitDatabase,
  migratedPostgresForFile,
  slowlyConnectingDatabase,
  unreachableDatabase,
} from '../support/kit-database.ts';
import { startSilentServer } from '../support/silent-server.ts';

// Under heavy load (load average ~30 on 2 cores) opening a PostgreSQL connection took longer than the pool's 5 s
// connect deadline; pg gave up ("timeout expired"), the pool handed that error to the first request waiting for a
// connection, and user-service answered 503 "rate limiting is unavailable" with PostgreSQL up. Here a proxy makes
// the first connections slow to open and the connect deadline is short, which is the same thing without the load.

const postgres = migratedPostgresForFile('limits', [
  {
    name: '0001-rate-limits',
    up: sqlStatements([
      'CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)',
    ]),
  },
]);

function limiter(db: Database, keyPrefix: string, options: { points?: number; deadlineMs?: number } = {}) {
  return new PostgresLimiter({
    storeClient: db.sequelize,
    storeType: 'sequelize',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points: options.points ?? 1_000,
    duration: 60,
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
  });
}

test('a limit check whose connection is slow to open waits for it instead of failing', async (t) => {
  const counted = await limiter(await slowlyConnectingDatabase(t, postgres, 'limits'), 'slow-open').consume('one');
  t.is(counted.consumedPoints, 1);
});

test('many concurrent checks of one key through a small pool with slow connections all count, none fails', async (t) => {
  const counter = limiter(await slowlyConnectingDatabase(t, postgres, 'limits'), 'crowd');
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => counter.consume('one')));
  t.deepEqual(
    results.filter((result) => result.status === 'rejected').map((result) => String(result.reason)),
    [],
  );
  t.is((await counter.get('one'))?.consumedPoints, 50);
});

test('a refusal is the library’s RateLimiterRes at once, never retried', async (t) => {
  const db = kitDatabase(postgres, { port: postgres.port, database: 'limits', connectMs: 5_000 });
  t.teardown(async () => db.close());
  const once = limiter(db, 'refusal', { points: 1 });
  await once.consume('one');
  const refused = await once.consume('one').catch((error: unknown) => error);
  t.true(refused instanceof RateLimiterRes);
  t.is((await once.get('one'))?.consumedPoints, 2);
});

test('with PostgreSQL unreachable a limit check fails at once, not at its deadline', async (t) => {
  const db = await unreachableDatabase(t, postgres);
  const started = Date.now();
  const error = await t.throwsAsync(limiter(db, 'down', { deadlineMs: 10_000 }).consume('one'));
  t.is(error?.name, 'SequelizeConnectionRefusedError');
  t.true(Date.now() - started < 3_000);
});

test('a PostgreSQL that accepts connections but never answers fails the check at its deadline', async (t) => {
  const silent = await startSilentServer();
  const db = kitDatabase(postgres, { port: silent.port, database: 'limits', connectMs: 200 });
  t.teardown(async () => {
    silent.close();
    await db.close();
  });
  const started = Date.now();
  const error = await t.throwsAsync(limiter(db, 'hung', { deadlineMs: 1_500 }).consume('one'));
  const elapsed = Date.now() - started;
  t.true(error instanceof LimitCheckDeadlineExceeded);
  t.true(elapsed >= 1_400 && elapsed < 4_000, `failed after ${elapsed} ms`);
});
