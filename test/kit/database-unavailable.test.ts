import test, { type ExecutionContext } from 'ava';
import { createApp, createLogger, listen, type Database, type RunningServer } from '@cf/kit';
import { kitDatabase } from '../support/kit-database.ts';
import { captureLogs } from '../support/log-capture.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { freePort } from '../support/process.ts';

// A database that fails is the server's trouble, not the request's: the answer is a 503 with Retry-After that the
// client may retry, never a 500 (found under load: a pool connect that outlived its deadline became a 500).
let postgres: PostgresServer;

test.before(async () => {
  postgres = await startPostgres();
});

test.after.always(async () => {
  await postgres?.stop();
});

/** A service whose one route runs `statement` on `db`; its logs go to `lines`. Both are closed when `t` ends. */
async function serviceOver(
  t: ExecutionContext,
  db: Database,
  statement: string,
): Promise<{ server: RunningServer; lines: string[] }> {
  const { stream, lines } = captureLogs();
  const service = createApp({ name: 'database-unavailable', logger: createLogger({ name: 'db-test', stream }) });
  service.router.get('/things', async (ctx) => {
    await db.sequelize.query(statement);
    ctx.body = {};
  });
  const server = await listen(service.app, { port: 0 });
  t.teardown(async () => {
    await server.close();
    await db.close();
  });
  return { server, lines };
}

function database(port: number, deadlines: { connectMs?: number; queryMs?: number }): Database {
  return kitDatabase(postgres, { port, database: 'postgres', ...deadlines, acquireMs: 2000 });
}

test('a database nobody listens for is a 503 problem with Retry-After, logged as an error', async (t) => {
  const db = database(await freePort(), { connectMs: 500 });
  const { server, lines } = await serviceOver(t, db, 'SELECT 1');
  const response = await fetch(`${server.url}/things`);
  t.is(response.status, 503);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.is(response.headers.get('retry-after'), '5');
  t.is(((await response.json()) as { detail: string }).detail, 'the database is unavailable; try again shortly');
  t.true(
    lines.some((line) => line.includes('"database unavailable"') && line.includes('"level":50')),
    lines.join('\n'),
  );
});

test('a statement that outlives the query deadline is a 503 problem, not a 500', async (t) => {
  const db = database(postgres.port, { queryMs: 200 });
  const { server } = await serviceOver(t, db, 'SELECT pg_sleep(5)');
  const response = await fetch(`${server.url}/things`);
  t.is(response.status, 503);
  t.is(response.headers.get('retry-after'), '5');
});

test('an SQL error of the service itself is still a 500 without internals', async (t) => {
  const db = database(postgres.port, {});
  const { server } = await serviceOver(t, db, 'SELECT * FROM no_such_table');
  const response = await fetch(`${server.url}/things`);
  t.is(response.status, 500);
  t.notRegex(await response.text(), /no_such_table/);
});
