import test from 'ava';
import { HttpProblem, type Database } from '@cf/kit';
import { migrations } from '../../services/integration-service/src/db/migrations.ts';
import { Limits } from '../../services/integration-service/src/limits.ts';
import { createTelegramMetrics } from '../../services/integration-service/src/metrics.ts';
import { migratedPostgresForFile, slowlyConnectingDatabase, unreachableDatabase } from '../support/kit-database.ts';

// integration-service's PostgreSQL-held windows (logins per user per hour, codes per phone per day) against a real
// PostgreSQL without the service around them: a 503 only when PostgreSQL fails, not when connections are slow.

const postgres = migratedPostgresForFile('integrations', migrations);

function limitsOn(db: Database): Limits {
  const caps = { pendingLoginsPerUser: 3, loginsPerUserPerHour: 100, codesPerPhonePerDay: 100 };
  return new Limits(
    db.sequelize,
    { ...caps, accountsPerUser: 5, botsPerUser: 5 },
    createTelegramMetrics('test', () => 0),
  );
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
