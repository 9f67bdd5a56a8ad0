import test from 'ava';
import { request } from 'node:http';
import { createApp, createLogger, listen, type RunningServer } from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';
import { startTogether } from '@cf/embedded/process';

let plain: RunningServer;
let behindProxy: RunningServer;

function start(trustedProxies: string[]): Promise<RunningServer> {
  const { stream } = captureLogs();
  const service = createApp({ name: 'edge-test', logger: createLogger({ name: 'edge-test', stream }), trustedProxies });
  service.router.post('/echo', (ctx) => {
    ctx.body = { received: ctx.request.body !== undefined };
  });
  service.router.get('/whoami', (ctx) => {
    ctx.body = { ip: ctx.ip };
  });
  return listen(service.app, { port: 0 });
}

test.before(async () => {
  [plain, behindProxy] = await startTogether([start([]), start(['127.0.0.0/8'])]);
});

test.after.always(async () => {
  await Promise.all([plain?.close(), behindProxy?.close()]);
});

async function post(body: string): Promise<{ status: number; type: string | null; detail: unknown }> {
  const response = await fetch(`${plain.url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, type: response.headers.get('content-type'), detail: json['detail'] };
}

test('deeply nested JSON is a 400 problem, not a 500', async (t) => {
  const answer = await post(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
  t.is(answer.status, 400);
  t.is(answer.type, 'application/problem+json');
  t.regex(String(answer.detail), /nested deeper than 32/);
});

test('a huge array is a 400 problem', async (t) => {
  const answer = await post(`[${Array.from({ length: 10_000 }, () => '1').join(',')}]`);
  t.is(answer.status, 400);
  t.regex(String(answer.detail), /more than 1000 elements/);
});

test('an object with very many keys is a 400 problem', async (t) => {
  const answer = await post(`{${Array.from({ length: 3000 }, (_, i) => `"k${i}":0`).join(',')}}`);
  t.is(answer.status, 400);
  t.regex(String(answer.detail), /more than 200 keys/);
});

test('brackets and commas inside strings are not structure', async (t) => {
  const answer = await post(JSON.stringify({ text: `${'[{,'.repeat(5000)}\\"]` }));
  t.is(answer.status, 200);
});

test('nesting and sizes within the limits are accepted', async (t) => {
  const nested = `${'{"a":'.repeat(31)}[${Array.from({ length: 1000 }, () => 'null').join(',')}]${'}'.repeat(31)}`;
  t.is((await post(nested)).status, 200);
});

test('a 64 KiB header is a 431 problem, not an empty answer', async (t) => {
  const answer = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
    const req = request(`${plain.url}/whoami`, { headers: { 'x-big': 'a'.repeat(64 * 1024) } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
  t.is(answer.status, 431);
  t.is(answer.type, 'application/problem+json');
  t.is((JSON.parse(answer.body) as { status: number }).status, 431);
});

async function whoami(server: RunningServer, forwardedFor?: string): Promise<string> {
  const response = await fetch(`${server.url}/whoami`, {
    headers: forwardedFor !== undefined ? { 'x-forwarded-for': forwardedFor } : {},
  });
  return ((await response.json()) as { ip: string }).ip;
}

test('X-Forwarded-For from a peer outside the trusted ranges is ignored', async (t) => {
  t.is(await whoami(plain, '203.0.113.9'), '127.0.0.1');
});

test('from a trusted proxy only the hop it added is believed', async (t) => {
  t.is(await whoami(behindProxy, '203.0.113.9'), '203.0.113.9');
  t.is(await whoami(behindProxy, '198.51.100.1, 203.0.113.9'), '203.0.113.9', 'the client’s own claim is ignored');
  t.is(await whoami(behindProxy, 'not-an-address'), '127.0.0.1');
});

test('a trusted range that is not an address range stops the service at startup', (t) => {
  t.throws(() => createApp({ name: 'x', logger: createLogger({ name: 'x' }), trustedProxies: ['gateway'] }), {
    message: /not an address range: gateway/,
  });
});

for (const method of ['TRACE', 'QUERY', 'PROPFIND']) {
  test(`${method} on a route is a 405 problem naming the allowed methods, not a 501`, async (t) => {
    const answer = await new Promise<{ status: number; allow: string | undefined; type: string | undefined }>(
      (resolve, reject) => {
        const req = request(`${plain.url}/echo`, { method }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              allow: res.headers['allow'],
              type: res.headers['content-type'],
            }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    t.is(answer.status, 405);
    t.is(answer.allow, 'POST');
    t.is(answer.type, 'application/problem+json');
  });
}
