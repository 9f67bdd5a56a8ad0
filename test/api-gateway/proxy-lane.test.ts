// The proxy lane (services/api-gateway/src/proxy-lane.ts) answers bodyless authenticated requests beside koa, as an
// optimisation of it: nothing a client or a service sees may differ. These tests send the same requests through the
// gateway as it runs (lane in front of koa) and through its koa app alone, and compare everything that comes back,
// what reached the service, the access log and the request series; and they check which requests the lane takes.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { signedAccessToken } from '../user-service/fixture.ts';
import { comparable, lanePairForFile, send, type Answer, type Sent } from './lane-pair.ts';
import type { ProbeAnswer, ProbeRequest } from './probe.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, gw, registerViaGateway } = gatewaySuite();

const pair = lanePairForFile(() => gw.gateway);

/** What reached the service for a request, less what differs by nature (the connection). */
function arrived(request: ProbeRequest | undefined): Record<string, unknown> | undefined {
  if (request === undefined) return undefined;
  const { connection: _connection, 'x-request-id': _id, ...headers } = request.headers;
  return { method: request.method, url: request.url, headers, body: request.body };
}

/** The access log line for a request id. */
function logged(requestId: string): Record<string, unknown> | undefined {
  const line = gw.logs
    .map((text) => JSON.parse(text) as Record<string, unknown>)
    .find((entry) => entry['req_id'] === requestId && entry['msg'] === 'request');
  if (line === undefined) return undefined;
  const { time: _time, ms, pid: _pid, hostname: _hostname, ...rest } = line;
  return { ...rest, ms: typeof ms };
}

/** The value of the series `name` of the gateway at `base` whose labels include `labels` (0 when it has none yet). */
async function seriesValue(base: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const row = text
    .split('\n')
    .find(
      (line) =>
        line.startsWith(`${name}{`) &&
        Object.entries(labels).every(([label, value]) => line.includes(`${label}="${value}"`)),
    );
  return row === undefined ? 0 : Number(row.split(' ').at(-1));
}

function requestsCounted(base: string, route: string, method: string, status: number): Promise<number> {
  return seriesValue(base, 'http_requests_total', { route, method, status: String(status) });
}

/**
 * Sends `sent` through the lane and through koa alone with the same request id, and holds that the client, the
 * service and the access log see the same thing; returns the lane's answer.
 */
async function sameThroughBoth(t: import('ava').ExecutionContext, sent: Sent, serves: 'lane' | 'koa'): Promise<Answer> {
  const { lane, koa, koaSaw } = pair;
  const answers: Answer[] = [];
  const reached: (Record<string, unknown> | undefined)[] = [];
  const logs: (Record<string, unknown> | undefined)[] = [];
  const ids: string[] = [];
  for (const base of [lane, koa]) {
    const id = randomUUID();
    ids.push(id);
    const before = probe.requests.length;
    const answer = await send(base, { ...sent, headers: { ...sent.headers, 'x-request-id': id } });
    answers.push(answer);
    t.is(answer.headers['x-request-id'], id, 'the answer names the request id sent');
    const service = probe.requests.slice(before).at(-1);
    if (service !== undefined) t.is(service.headers['x-request-id'], id, 'the service is told the request id sent');
    reached.push(arrived(service));
    logs.push(logged(id));
  }
  t.deepEqual(comparable(answers[0]!), comparable(answers[1]!), `the client sees the same answer to ${sent.path}`);
  t.deepEqual(reached[0], reached[1], 'the service sees the same request');
  t.deepEqual({ ...logs[0], req_id: 'same' }, { ...logs[1], req_id: 'same' }, 'the access log says the same');
  t.truthy(logs[0], 'the request is logged');
  t.is(koaSaw.includes(ids[0]!), serves === 'koa', serves === 'lane' ? 'the lane served it' : 'koa served it');
  return answers[0]!;
}

let user = '';
let admin = '';

test.before(async () => {
  const account = await registerViaGateway();
  user = account.accessToken;
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  admin = signedAccessToken(users.service, { ...claims, role: 'admin' });
  probe.script = scripted;
});

/** What the stand-in integration-service answers on `/telegram/case/<name>`. */
const CASES: Record<string, ProbeAnswer> = {
  json: {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-internal': 'never passed' },
    body: '{"accounts":[]}',
  },
  problem: {
    status: 404,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ status: 404, title: 'Not Found', instance: '/telegram/case/problem' }),
  },
  'problem-with-charset': {
    status: 409,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: JSON.stringify({ status: 409, title: 'Conflict', instance: '/telegram/case/problem-with-charset' }),
  },
  'not-json-problem': { status: 500, headers: { 'content-type': 'application/problem+json' }, body: 'oops' },
  'empty-untyped': { status: 200, headers: {}, body: '' },
  'empty-typed': { status: 202, headers: { 'content-type': 'application/json' }, body: '' },
  'no-content': { status: 204, headers: { 'x-revocation-version': '1' }, body: '' },
  'not-modified': { status: 304, headers: { 'cache-control': 'max-age=60' }, body: '' },
  bytes: { status: 200, headers: {}, body: Buffer.from([0, 1, 2, 254, 255]) },
  'typed-bytes': { status: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71]) },
  'passed-headers': {
    status: 429,
    headers: {
      'content-type': 'application/json',
      'retry-after': '7',
      'www-authenticate': 'Bearer realm="cf"',
      location: '/telegram/accounts/1',
      allow: 'GET, DELETE',
      'accept-post': 'application/json',
      'set-cookie': 'tracker=1; Path=/',
    },
    body: '{"slow":"down"}',
  },
  'repeated-header': {
    status: 200,
    headers: { 'content-type': 'text/plain', 'cache-control': ['no-cache', 'private'] },
    body: 'two values',
  },
  'server-error': { status: 503, headers: { 'content-type': 'text/html' }, body: '<p>down</p>' },
  // Not a problem: its `instance` stays the service's, and its bytes are not re-serialised.
  'json-with-instance': {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{ "instance": "/telegram/case/json-with-instance", "items": [] }',
  },
};

function scripted(request: ProbeRequest): ProbeAnswer | undefined {
  const name = /^\/telegram\/case\/([^/?]+)/.exec(request.url)?.[1];
  return name === undefined ? undefined : CASES[name];
}

for (const name of Object.keys(CASES)) {
  for (const method of ['GET', 'DELETE']) {
    test.serial(
      `a service's "${name}" answer to ${method} reaches the client the same through the lane as through koa`,
      async (t) => {
        const answer = await sameThroughBoth(
          t,
          {
            method,
            path: `/api/telegram/case/${name}?page=2&code=x`,
            // The refresh cookie is for user-service's /auth routes only.
            headers: { authorization: `Bearer ${user}`, cookie: 'cf_refresh=not-for-this-service' },
          },
          'lane',
        );
        t.is(answer.status, CASES[name]!.status, 'the service gave the answer this case scripts');
        t.is(probe.requests.at(-1)?.headers['cookie'], undefined, 'no Cookie reaches a route that takes no cookies');
        if (name === 'passed-headers') {
          // Parity cannot tell a header both paths drop: the ones a client needs must arrive.
          for (const header of ['retry-after', 'www-authenticate', 'location', 'allow', 'accept-post'])
            t.is(answer.headers[header], CASES[name]!.headers[header], header);
          t.is(answer.headers['set-cookie'], undefined, 'no Set-Cookie from a route that takes no cookies');
        }
        if (name === 'json') t.is(answer.headers['cache-control'], 'no-store');
        if (name === 'json-with-instance')
          t.is(answer.body.toString(), String(CASES[name]!.body), 'the body as the service sent it');
        if (name === 'problem-with-charset') {
          t.is(JSON.parse(answer.body.toString()).instance, '/api/telegram/case/problem-with-charset');
        }
      },
    );
  }
}

test.serial(
  'user-service answers through the lane as through koa: own profile, its 404 problem, and the admin list',
  async (t) => {
    const me = await sameThroughBoth(
      t,
      { method: 'GET', path: '/api/users/me', headers: { authorization: `Bearer ${user}` } },
      'lane',
    );
    t.is(me.status, 200);
    const missing = await sameThroughBoth(
      t,
      { method: 'DELETE', path: '/api/users/me/nothing-here', headers: { authorization: `Bearer ${user}` } },
      'lane',
    );
    t.is(missing.status, 404);
    t.regex(
      JSON.parse(missing.body.toString()).instance as string,
      /^\/api\/users\//,
      'the problem names the public path',
    );
    const listed = await sameThroughBoth(
      t,
      { method: 'GET', path: '/api/admin/users', headers: { authorization: `Bearer ${admin}` } },
      'lane',
    );
    t.is(listed.status, 200);
  },
);

const REFUSALS: [string, Sent][] = [
  ['no token', { method: 'GET', path: '/api/telegram/accounts' }],
  [
    'a token that is not one',
    { method: 'GET', path: '/api/telegram/accounts', headers: { authorization: 'Bearer x.y.z' } },
  ],
  ['a non-admin on an admin route', { method: 'GET', path: '/api/admin/users' }],
  ['a non-admin deleting on an admin route', { method: 'DELETE', path: '/api/admin/users/1' }],
];

for (const [what, sent] of REFUSALS) {
  test.serial(
    `the edge refuses ${what} the same through the lane as through koa, and nothing reaches a service`,
    async (t) => {
      const headers = sent.path.startsWith('/api/admin') ? { authorization: `Bearer ${user}` } : sent.headers;
      const before = probe.requests.length;
      const answer = await sameThroughBoth(t, { ...sent, headers: headers ?? {} }, 'lane');
      t.true(answer.status === 401 || answer.status === 403);
      t.is(answer.headers['content-type'], 'application/problem+json');
      t.is(probe.requests.length, before);
    },
  );
}

test.serial('the lane counts its answers in the request series under the route template koa would use', async (t) => {
  const counted = (): Promise<number> => requestsCounted(gw.url, '/api/telegram/*rest', 'GET', 204);
  const before = await counted();
  await send(pair.lane, {
    method: 'GET',
    path: '/api/telegram/case/no-content',
    headers: { authorization: `Bearer ${user}` },
  });
  t.is(await counted(), before + 1);
  await send(pair.koa, {
    method: 'GET',
    path: '/api/telegram/case/no-content',
    headers: { authorization: `Bearer ${user}` },
  });
  t.is(await counted(), before + 2, 'koa counts it under the same series');
});

test.serial(
  'the lane logs and observes how long it took, in milliseconds and seconds, within what the client waited',
  async (t) => {
    const series = { route: '/api/telegram/*rest', method: 'GET' };
    const summed = (): Promise<number> => seriesValue(gw.url, 'http_request_duration_seconds_sum', series);
    const before = await summed();
    const id = randomUUID();
    const started = performance.now();
    const answer = await send(pair.lane, {
      method: 'GET',
      path: '/api/telegram/case/json',
      headers: { authorization: `Bearer ${user}`, 'x-request-id': id },
    });
    const waitedMs = performance.now() - started;
    t.is(answer.status, 200);
    const line = gw.logs
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry['req_id'] === id);
    const ms = line?.['ms'] as number;
    t.true(ms > 0 && ms <= waitedMs, `the log's ${ms} ms is within the client's ${waitedMs} ms`);
    t.is(Math.round(ms * 100) / 100, ms, 'to a hundredth of a millisecond');
    const observed = (await summed()) - before;
    t.true(observed > 0 && observed <= waitedMs / 1000, `the histogram's ${observed} s is within the client's wait`);
  },
);

// Which requests the lane takes: bodyless GET and DELETE on an authenticated prefix with a canonical path and no
// Origin. Everything else is koa's, and answers the same as it would have.
const TAKEN: [string, Sent][] = [
  ['a GET with a query string', { method: 'GET', path: '/api/telegram/case/json?x=1' }],
  ['a DELETE', { method: 'DELETE', path: '/api/telegram/case/no-content' }],
  [
    'a GET saying Content-Length: 0',
    { method: 'GET', path: '/api/telegram/case/json', headers: { 'content-length': '0' } },
  ],
  ['a prefix in another case', { method: 'GET', path: '/API/Telegram/case/json' }],
  ['a path with doubled and trailing slashes', { method: 'GET', path: '/api//telegram/case//json/' }],
  ['a percent-encoded letter', { method: 'GET', path: '/api/telegram/case/%6Ason' }],
];
const LEFT_TO_KOA: [string, Sent][] = [
  [
    'a POST',
    { method: 'POST', path: '/api/telegram/case/json', headers: { 'content-type': 'application/json' }, body: '{}' },
  ],
  [
    'a PATCH',
    { method: 'PATCH', path: '/api/telegram/case/json', headers: { 'content-type': 'application/json' }, body: '{}' },
  ],
  ['a HEAD', { method: 'HEAD', path: '/api/telegram/case/json' }],
  [
    'a GET with an Origin',
    { method: 'GET', path: '/api/telegram/case/json', headers: { origin: 'https://cf.example' } },
  ],
  [
    'a GET with a body',
    {
      method: 'GET',
      path: '/api/telegram/case/json',
      headers: { 'content-type': 'application/json', 'content-length': '2' },
      body: '{}',
    },
  ],
  ['a chunked GET', { method: 'GET', path: '/api/telegram/case/json', headers: { 'transfer-encoding': 'chunked' } }],
  ['a path that is only the prefix', { method: 'GET', path: '/api/telegram/' }],
  ['a path that is not canonical', { method: 'GET', path: '/api/telegram/case/../case/json' }],
  ['an encoded slash', { method: 'GET', path: '/api/telegram/case%2Fjson' }],
  ['an absolute-form request target', { method: 'GET', path: 'http://cf.example/api/telegram/case/json' }],
  ['an unauthenticated prefix', { method: 'GET', path: '/api/auth/whatever' }],
  ['a path beside the prefixes', { method: 'GET', path: '/api/telegramx/case/json' }],
];

for (const [what, sent] of TAKEN) {
  test.serial(`the lane serves ${what}`, async (t) => {
    await sameThroughBoth(t, { ...sent, headers: { ...sent.headers, authorization: `Bearer ${user}` } }, 'lane');
  });
}

for (const [what, sent] of LEFT_TO_KOA) {
  test.serial(`koa serves ${what}, as it would without the lane`, async (t) => {
    await sameThroughBoth(t, { ...sent, headers: { ...sent.headers, authorization: `Bearer ${user}` } }, 'koa');
  });
}

test.serial('sessions an administrator ends through the lane are refused by the next request at once', async (t) => {
  const target = await registerViaGateway();
  const ended = await send(pair.lane, {
    method: 'DELETE',
    path: `/api/admin/users/${target.userId}/sessions`,
    headers: { authorization: `Bearer ${admin}` },
  });
  t.is(ended.status, 200);
  // No wait: the lane answered only once this replica followed the revocation feed past the one it caused.
  // A route whose service trusts the edge: user-service would refuse the ended session on its own.
  const after = await send(pair.lane, {
    method: 'GET',
    path: '/api/telegram/accounts',
    headers: { authorization: `Bearer ${target.accessToken}` },
  });
  t.is(after.status, 401);
});
