// The proxy lane counts the edge's rate limits as koa's chain does (byIpAlongside → authenticate → byUser): these
// send the same requests through the lane and through koa alone, on a gateway whose limits are three requests per
// address and per user, each test from client addresses of its own (the gateway trusts 127.0.0.1 as its proxy).
import test, { type ExecutionContext } from 'ava';
import { gatewayForFile } from './fixture.ts';
import { comparable, lanePairForFile, send, type Answer } from './lane-pair.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, registerViaGateway } = gatewaySuite();
const LIMIT = 3;
const limited = gatewayForFile(() => ({
  USER_SERVICE_URL: users.url,
  INTEGRATION_SERVICE_URL: probe.url,
  RATE_LIMIT_PER_IP: String(LIMIT),
  RATE_LIMIT_PER_USER: String(LIMIT),
  TRUSTED_PROXIES: '127.0.0.1',
}));
const pair = lanePairForFile(() => limited.gateway);

let nextAddress = 1;
/** A client address no other request of this file came from. */
function freshAddress(): string {
  nextAddress += 1;
  return `198.51.100.${nextAddress}`;
}

function get(base: string, from: string, token: string): Promise<Answer> {
  return send(base, {
    method: 'GET',
    path: '/api/telegram/accounts',
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from },
  });
}

/** Both 429s alike, save Retry-After, which counts down in whole seconds and is checked to be within the window. */
function sameRefusal(t: ExecutionContext, lane: Answer, koa: Answer): void {
  t.is(lane.status, 429);
  t.deepEqual(comparable(lane, ['retry-after']), comparable(koa, ['retry-after']));
  for (const answer of [lane, koa]) {
    const seconds = Number(answer.headers['retry-after']);
    t.true(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After ${seconds} s is within the window`);
  }
}

test.serial(
  'a user over their limit is refused alike by the lane and by koa, whatever address they come from',
  async (t) => {
    const { accessToken } = await registerViaGateway();
    for (let sent = 0; sent < LIMIT; sent += 1) t.is((await get(pair.lane, freshAddress(), accessToken)).status, 200);
    const before = probe.requests.length;
    const lane = await get(pair.lane, freshAddress(), accessToken);
    const koa = await get(pair.koa, freshAddress(), accessToken);
    sameRefusal(t, lane, koa);
    t.is(probe.requests.length, before, 'nothing over the limit reached the service');
  },
);

test.serial('requests with a bad token count against their address in the lane as in koa', async (t) => {
  const { accessToken } = await registerViaGateway();
  const answers: Answer[] = [];
  for (const base of [pair.lane, pair.koa]) {
    const from = freshAddress();
    for (let sent = 0; sent < LIMIT; sent += 1) t.is((await get(base, from, 'not-a-token')).status, 401);
    answers.push(await get(base, from, accessToken));
  }
  sameRefusal(t, answers[0]!, answers[1]!);
});

test.serial(
  'an address over its limit is refused with 429 even when its token is bad, in the lane as in koa',
  async (t) => {
    const answers: Answer[] = [];
    for (const base of [pair.lane, pair.koa]) {
      const from = freshAddress();
      for (let sent = 0; sent < LIMIT; sent += 1) await get(base, from, 'not-a-token');
      answers.push(await get(base, from, 'not-a-token'));
    }
    sameRefusal(t, answers[0]!, answers[1]!);
  },
);

test.serial('a bad token counts against no user: the lane lets the user whose token was not shown go on', async (t) => {
  const { accessToken } = await registerViaGateway();
  for (let sent = 0; sent < LIMIT; sent += 1) await get(pair.lane, freshAddress(), 'not-a-token');
  t.is((await get(pair.lane, freshAddress(), accessToken)).status, 200);
});

test.serial('requests the lane refused as forbidden still count against the user', async (t) => {
  const { accessToken } = await registerViaGateway();
  for (let sent = 0; sent < LIMIT; sent += 1) {
    const answer = await send(pair.lane, {
      method: 'GET',
      path: '/api/admin/users',
      headers: { authorization: `Bearer ${accessToken}`, 'x-forwarded-for': freshAddress() },
    });
    t.is(answer.status, 403);
  }
  const lane = await get(pair.lane, freshAddress(), accessToken);
  t.is(lane.status, 429);
});
