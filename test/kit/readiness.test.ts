import test from 'ava';
import { Writable } from 'node:stream';
import { createApp, createLogger, listen } from '@cf/kit';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

test('readiness is 503 and names the failing dependency until it recovers', async (t) => {
  let databaseUp = false;
  const { app } = createApp({
    name: 'ready-test',
    logger: createLogger({ name: 'ready-test', stream: quiet }),
    readiness: {
      database: async () => databaseUp,
      vault: async () => true,
    },
  });
  const server = await listen(app, { port: 0 });
  t.teardown(() => server.close());
  const down = await fetch(`${server.url}/readyz`);
  t.is(down.status, 503);
  t.deepEqual(await down.json(), { ready: false, checks: { database: 'failing', vault: 'ok' } });
  databaseUp = true;
  const up = await fetch(`${server.url}/readyz`);
  t.is(up.status, 200);
});

test('a hanging dependency check fails readiness instead of hanging it', async (t) => {
  const { app } = createApp({
    name: 'ready-test',
    logger: createLogger({ name: 'ready-test', stream: quiet }),
    readiness: { stuck: () => new Promise(() => {}) },
  });
  const server = await listen(app, { port: 0 });
  t.teardown(() => server.close());
  const response = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  t.is(response.status, 503);
});
