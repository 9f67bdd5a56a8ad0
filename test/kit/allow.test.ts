import test from 'ava';
import { createApp, createLogger, listen, type RunningServer } from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';

// Schemathesis found OPTIONS /logins/qr advertising GET and DELETE of /logins/:id: a literal route decides
// `Allow` where it matches, as it decides routing.
let server: RunningServer;

test.before(async () => {
  const { stream } = captureLogs();
  const service = createApp({ name: 'allow-test', logger: createLogger({ name: 'allow-test', stream }) });
  service.router.post('/logins/qr', (ctx) => void (ctx.status = 201));
  service.router.get('/logins/:id', (ctx) => void (ctx.body = {}));
  service.router.delete('/logins/:id', (ctx) => void (ctx.status = 204));
  server = await listen(service.app, { port: 0 });
});

test.after.always(async () => {
  await server?.close();
});

test('OPTIONS on a literal route names only its own methods, not those of a parameter route it also matches', async (t) => {
  const response = await fetch(`${server.url}/logins/qr`, { method: 'OPTIONS' });
  t.is(response.status, 200);
  t.is(response.headers.get('allow'), 'POST');
});

test('a method a literal route does not take is a 405 naming only its methods', async (t) => {
  const response = await fetch(`${server.url}/logins/qr`, { method: 'PUT' });
  t.is(response.status, 405);
  t.is(response.headers.get('allow'), 'POST');
  t.is(response.headers.get('content-type'), 'application/problem+json');
});

test('a parameter route still answers OPTIONS with its own methods', async (t) => {
  const response = await fetch(`${server.url}/logins/5b7c`, { method: 'OPTIONS' });
  t.deepEqual(response.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'HEAD']);
});
