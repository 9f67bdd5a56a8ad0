import test from 'ava';
import { startPostgres } from '../support/postgres.ts';
import { startTogether } from '@cf/embedded/process';

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
