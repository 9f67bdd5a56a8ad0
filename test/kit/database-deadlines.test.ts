import test from 'ava';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { Database, StaticCredentials } from '@cf/kit';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';

let postgres: PostgresServer;

test.before(async () => {
  postgres = await startPostgres();
});

test.after.always(async () => {
  await postgres?.stop();
});

function database(port: number, deadlines: { connectMs?: number; queryMs?: number }): Database {
  return new Database({
    host: '127.0.0.1',
    port,
    database: 'postgres',
    credentials: new StaticCredentials({ username: postgres.user, password: postgres.password }),
    deadlines,
    pool: { acquireMs: 30_000 },
  });
}

test('a PostgreSQL that accepts connections but never answers fails the query at the connect deadline', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const db = database((silent.address() as { port: number }).port, { connectMs: 300 });
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    silent.close();
    await db.close();
  });
  const error = await t.throwsAsync(db.sequelize.query('SELECT 1'));
  t.regex(error?.message ?? '', /timeout/i);
});

test('a query that outlives the query deadline fails instead of holding the request', async (t) => {
  const db = database(postgres.port, { queryMs: 300 });
  t.teardown(async () => db.close());
  const error = await t.throwsAsync(db.sequelize.query('SELECT pg_sleep(30)'));
  t.regex(error?.message ?? '', /timeout/i);
});

test('queries inside the deadlines answer as usual', async (t) => {
  const db = database(postgres.port, { connectMs: 5_000, queryMs: 5_000 });
  t.teardown(async () => db.close());
  const [rows] = await db.sequelize.query('SELECT 1 AS one');
  t.deepEqual(rows, [{ one: 1 }]);
});
