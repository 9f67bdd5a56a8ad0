import test from 'ava';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startPostgres } from '../support/postgres.ts';
import { scratchDir, startTogether } from '@cf/embedded/process';

test('a fresh PostgreSQL answers a SQL round trip', async (t) => {
  const postgres = await startPostgres();
  t.teardown(() => postgres.stop());
  await postgres.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  await postgres.query('INSERT INTO notes (body) VALUES ($1), ($2)', ['first', 'second']);
  const rows = await postgres.query<{ body: string }>('SELECT body FROM notes ORDER BY id');
  t.deepEqual(
    rows.map((row) => row.body),
    ['first', 'second'],
  );
  const [version] = await postgres.query<{ server_version: string }>('SHOW server_version');
  t.regex(version?.server_version ?? '', /^\d+\.\d+/);
});

test('each call starts its own cluster', async (t) => {
  const [a, b] = await startTogether([startPostgres(), startPostgres()]);
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  t.not(a.port, b.port);
  await a.query('CREATE TABLE only_in_a (x int)');
  const found = await b.query("SELECT to_regclass('only_in_a') AS t");
  t.is(found[0]?.['t'], null);
});

test("a scratch cluster's data goes when it stops, and its log stays for reading", async (t) => {
  const postgres = await startPostgres();
  const dir = dirname(postgres.process.logFile);
  t.true(existsSync(join(dir, 'data', 'PG_VERSION')));
  await postgres.stop();
  t.false(existsSync(join(dir, 'data')), 'the data directory is removed');
  t.true(existsSync(postgres.process.logFile), 'the log is kept');
});

test('a cluster in a directory of its own keeps its data when it stops, and starts again from it', async (t) => {
  const dir = scratchDir('pg-kept');
  const first = await startPostgres({ dir });
  await first.query('CREATE TABLE kept (x int)');
  await first.stop();
  const again = await startPostgres({ dir });
  t.teardown(() => again.stop());
  const found = await again.query("SELECT to_regclass('kept') AS t");
  t.is(found[0]?.['t'], 'kept');
});
