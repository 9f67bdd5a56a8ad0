import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { api, captchaFor, readyNpmStart, runNpmStart, superuser } from './fixture.ts';

test("after npm start's PostgreSQL is SIGKILLed mid-write, a restart recovers every committed row and the users", async (t) => {
  const { port, state, run: first } = await readyNpmStart(t, 'npm-start-crash');
  const credentials = { email: 'crash@example.org', password: 'committed before the crash' };
  t.is(
    (await api(port, 'POST', '/auth/register', { body: { ...credentials, captcha: await captchaFor(port) } })).status,
    201,
  );

  const client = new pg.Client(superuser(state, port));
  client.on('error', () => undefined);
  await client.connect();
  await client.query('CREATE TABLE crash_probe (id integer PRIMARY KEY, payload text NOT NULL)');
  const postmaster = Number(readFileSync(join(state, 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const committed: number[] = [];
  let failure: unknown;
  for (let id = 1; id <= 100_000 && failure === undefined; id += 1) {
    try {
      // Autocommit: the answer means this row's transaction committed.
      await client.query('INSERT INTO crash_probe VALUES ($1, $2)', [id, 'x'.repeat(2000)]);
      committed.push(id);
      if (id === 300) process.kill(postmaster, 'SIGKILL');
    } catch (error) {
      failure = error;
    }
  }
  t.truthy(failure, 'the writer saw PostgreSQL die');
  t.true(committed.length >= 300, `${committed.length} rows committed before the kill`);
  await first.interrupt();

  const second = runNpmStart(state, port);
  t.teardown(second.kill);
  await second.ready();
  const after = new pg.Client(superuser(state, port));
  await after.connect();
  const rows = (await after.query<{ id: number }>('SELECT id FROM crash_probe')).rows.map((row) => row.id);
  await after.end();
  const present = new Set(rows);
  t.deepEqual(
    committed.filter((id) => !present.has(id)),
    [],
    'every committed row is there',
  );
  t.is((await api(port, 'POST', '/auth/login', { body: credentials })).status, 200, 'the user registered before');
  await second.interrupt();
});
