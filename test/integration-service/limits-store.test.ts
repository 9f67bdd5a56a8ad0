import test from 'ava';
import { createLogger, HttpProblem, type Database } from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';
import { migrations } from '../../services/integration-service/src/db/migrations.ts';
import { Limits } from '../../services/integration-service/src/limits.ts';
import { createTelegramMetrics } from '../../services/integration-service/src/metrics.ts';
import {
  kitDatabase,
  migratedPostgresForFile,
  slowlyConnectingDatabase,
  unreachableDatabase,
} from '../support/kit-database.ts';

// integration-service's PostgreSQL-held windows (logins per user per hour, codes per phone per day) against a real
// PostgreSQL without the service around them: a 503 only when PostgreSQL fails, not when connections are slow.

const postgres = migratedPostgresForFile('integrations', migrations);

function limitsOn(db: Database, logs?: ReturnType<typeof captureLogs>): Limits {
  const caps = { pendingLoginsPerUser: 3, loginsPerUserPerHour: 100, codesPerPhonePerDay: 100 };
  return new Limits(
    db.sequelize,
    { ...caps, accountsPerUser: 5, botsPerUser: 5 },
    createTelegramMetrics('test', () => 0),
    createLogger({ name: 'integration-service', stream: (logs ?? captureLogs()).stream }),
  );
}

/** The error-level lines of `logs`, parsed. */
function errorsIn(logs: ReturnType<typeof captureLogs>): { msg: string; limiter?: string; err?: unknown }[] {
  return logs.lines
    .map((line) => JSON.parse(line) as { level: number; msg: string; limiter?: string; err?: unknown })
    .filter((record) => record.level >= 50);
}

test('logins started while connections are slow to open are counted, none answered 503', async (t) => {
  const limits = limitsOn(await slowlyConnectingDatabase(t, postgres, 'integrations'));
  const started = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => limits.loginStarted(`user-${i}`)));
  t.deepEqual(
    started.filter((result) => result.status === 'rejected').map((result) => String(result.reason)),
    [],
  );
});

test('with PostgreSQL unreachable a code request is a 503 with Retry-After', async (t) => {
  const refused = await limitsOn(await unreachableDatabase(t, postgres))
    .codeRequested('+15550100')
    .catch((error: unknown) => error);
  t.true(refused instanceof HttpProblem);
  t.is((refused as HttpProblem).status, 503);
  t.is((refused as HttpProblem).headers['Retry-After'], '5');
});

test('a failed limiter is an error log naming the limiter and the error, for each window', async (t) => {
  const logs = captureLogs();
  const limits = limitsOn(await unreachableDatabase(t, postgres), logs);
  await limits.codeRequested('+15550101').catch(() => undefined);
  await limits.loginStarted('user-unreachable').catch(() => undefined);
  const failures = errorsIn(logs).filter((record) => record.msg === 'rate limiter failed');
  t.deepEqual(
    failures.map((record) => record.limiter),
    ['telegram-codes-phone', 'telegram-logins-user'],
  );
  t.true(failures.every((record) => record.err !== undefined));
});

test.serial('a count that cannot be given back is a warning naming the limiter, and the caller goes on', async (t) => {
  const db = kitDatabase(postgres, { port: postgres.port, database: 'integrations' });
  t.teardown(() => db.close());
  const logs = captureLogs();
  const undo = await limitsOn(db, logs).loginStarted('user-undo-refused');
  // Giving back updates the row the count wrote; a trigger makes PostgreSQL refuse that update.
  await db.sequelize.query(`
    CREATE FUNCTION refuse_give_back() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'updates refused by this test'; END $$;
    CREATE TRIGGER refuse_give_back BEFORE UPDATE ON rate_limits FOR EACH ROW EXECUTE FUNCTION refuse_give_back();`);
  try {
    await t.notThrowsAsync(undo());
  } finally {
    await db.sequelize.query('DROP TRIGGER refuse_give_back ON rate_limits; DROP FUNCTION refuse_give_back();');
  }
  const warnings = logs.lines
    .map((line) => JSON.parse(line) as { level: number; msg: string; limiter?: string; err?: { message?: string } })
    .filter((record) => record.level === 40 && record.msg === 'rate limiter failed to give a count back');
  t.is(warnings.length, 1);
  t.is(warnings[0]?.limiter, 'telegram-logins-user');
  t.regex(warnings[0]?.err?.message ?? '', /updates refused by this test/);
});
