// The proxy lane on a gateway that counts into PostgreSQL with a local budget, as the charts run it: a count the
// budget admits is answered at once (no promise), a count past it waits for the store. Each address here has a budget
// (10 % of 100) and each user none (10 % of 2), so a user's count always waits while their address's never does.
import test from 'ava';
import { rateLimitMigrations } from '../../services/api-gateway/src/rate-limit-store.ts';
import { migratedPostgresForFile } from '../support/kit-database.ts';
import { gatewayForFile } from './fixture.ts';
import { lanePairForFile, send, type Answer } from './lane-pair.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, registerViaGateway } = gatewaySuite();
const PER_USER = 2;
const postgres = migratedPostgresForFile('api_gateway', rateLimitMigrations);
const counted = gatewayForFile(() => ({
  USER_SERVICE_URL: users.url,
  INTEGRATION_SERVICE_URL: probe.url,
  TRUSTED_PROXIES: '127.0.0.1',
  RATE_LIMIT_PER_IP: '100',
  RATE_LIMIT_PER_USER: String(PER_USER),
  RATE_LIMIT_LOCAL_SHARE: '0.1',
  RATE_LIMIT_STORE: 'postgres',
  DATABASE_NAME: 'api_gateway',
  DATABASE_PORT: String(postgres.port),
  DATABASE_USER: postgres.user,
  DATABASE_PASSWORD: postgres.password,
}));
const pair = lanePairForFile(() => counted.gateway);

test.serial.before(async () => {
  await counted.store!.ready;
});

let nextAddress = 1;
function get(base: string, token: string): Promise<Answer> {
  nextAddress += 1;
  return send(base, {
    method: 'GET',
    path: '/api/telegram/accounts',
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `198.51.100.${nextAddress}` },
  });
}

test.serial('the lane serves a request whose address count the budget admitted without the store', async (t) => {
  const { accessToken } = await registerViaGateway();
  const before = probe.requests.length;
  const answer = await get(pair.lane, accessToken);
  t.is(answer.status, 200, answer.body.toString());
  t.is(probe.requests.length, before + 1);
  t.true(counted.gateway.limits.shared(), 'the counts went to PostgreSQL, not to a fallback in memory');
});

test.serial(
  'a user over their limit is refused by the lane while their address is admitted from its budget',
  async (t) => {
    const { accessToken } = await registerViaGateway();
    for (let sent = 0; sent < PER_USER; sent += 1) t.is((await get(pair.lane, accessToken)).status, 200);
    const before = probe.requests.length;
    const lane = await get(pair.lane, accessToken);
    t.is(lane.status, 429, 'the lane waited for the user count the store refused');
    const koa = await get(pair.koa, accessToken);
    t.is(koa.status, 429, 'as koa does');
    t.is(probe.requests.length, before, 'nothing over the limit reached the service');
  },
);
