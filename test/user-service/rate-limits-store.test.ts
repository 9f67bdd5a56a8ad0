import test from 'ava';
import { createLogger, HttpProblem, type Database } from '@cf/kit';
import { migrations } from '../../services/user-service/src/db/migrations.ts';
import { RateLimits } from '../../services/user-service/src/rate-limits.ts';
import { migratedPostgresForFile, slowlyConnectingDatabase, unreachableDatabase } from '../support/kit-database.ts';
import { captureLogs } from '../support/log-capture.ts';

// user-service's limits against a real PostgreSQL without the service around them (no Vault needed): when its
// 503 "rate limiting is unavailable" may be answered, and when it must not be.

const postgres = migratedPostgresForFile('users', migrations);

function limitsOn(db: Database): { limits: RateLimits; logs: string[] } {
  const { stream, lines } = captureLogs();
  const settings = { loginPerEmailIp: 100, loginPerIp: 100, registerPerIp: 100, windowSeconds: 60 };
  return { limits: new RateLimits(db.sequelize, settings, createLogger({ name: 'limits', stream })), logs: lines };
}

test('concurrent logins whose connections are slow to open are counted, none answered 503', async (t) => {
  const { limits, logs } = limitsOn(await slowlyConnectingDatabase(t, postgres, 'users'));
  const attempts = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => limits.loginAttempt(`user-${i}@example.org`, '10.77.0.1')),
  );
  t.deepEqual(
    attempts.filter((attempt) => attempt.status === 'rejected').map((attempt) => String(attempt.reason)),
    [],
  );
  t.deepEqual(logs, []);
});

test('with PostgreSQL unreachable a limit check is a 503 with Retry-After and an error log', async (t) => {
  const { limits, logs } = limitsOn(await unreachableDatabase(t, postgres));
  const refused = await limits.registerAttempt('10.77.0.2').catch((error: unknown) => error);
  t.true(refused instanceof HttpProblem);
  t.is((refused as HttpProblem).status, 503);
  t.is((refused as HttpProblem).headers['Retry-After'], '5');
  t.true(logs.some((line) => (JSON.parse(line) as { msg: string }).msg === 'rate limiter failed'));
});
