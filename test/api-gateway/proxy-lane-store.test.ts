// The proxy lane on gateways that count into PostgreSQL with a local budget, as the charts run it: a count the
// budget admits is answered at once (no promise), a count past it waits for the store. On `counted` each address has
// a budget (10 % of 100) and each user none (10 % of 2), so a user's count always waits while their address's never
// does; on `addressCounted` it is the other way round.
import test from 'ava';
import { rateLimitMigrations } from '../../services/api-gateway/src/rate-limit-store.ts';
import { kitDatabase, migratedPostgresForFile } from '../support/kit-database.ts';
import { settle } from '../support/settle.ts';
import { gatewayForFile } from './fixture.ts';
import { lanePairForFile, send, type Answer } from './lane-pair.ts';
import { rowOf } from './shared-counts-fixture.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, registerViaGateway } = gatewaySuite();
const PER_USER = 2;
const postgres = migratedPostgresForFile('api_gateway', rateLimitMigrations);
/** A gateway counting into this file's PostgreSQL, with a tenth of each limit as its local budget. */
function countedEnv(): Record<string, string> {
  return {
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: probe.url,
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_LIMIT_LOCAL_SHARE: '0.1',
    RATE_LIMIT_STORE: 'postgres',
    DATABASE_NAME: 'api_gateway',
    DATABASE_PORT: String(postgres.port),
    DATABASE_USER: postgres.user,
    DATABASE_PASSWORD: postgres.password,
  };
}
const counted = gatewayForFile(() => ({
  ...countedEnv(),
  RATE_LIMIT_PER_IP: '100',
  RATE_LIMIT_PER_USER: String(PER_USER),
}));
const pair = lanePairForFile(() => counted.gateway);
const PER_ADDRESS = 2;
const addressCounted = gatewayForFile(() => ({
  ...countedEnv(),
  RATE_LIMIT_PER_IP: String(PER_ADDRESS),
  RATE_LIMIT_PER_USER: '100',
}));
const addressPair = lanePairForFile(() => addressCounted.gateway);

test.serial.before(async () => {
  await counted.store!.ready;
  await addressCounted.store!.ready;
});

let nextAddress = 1;
/** A client address no other request of this file came from. */
function freshAddress(): string {
  nextAddress += 1;
  return `198.51.100.${nextAddress}`;
}

function get(base: string, token: string, from = freshAddress()): Promise<Answer> {
  return send(base, {
    method: 'GET',
    path: '/api/telegram/accounts',
    headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from },
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

test.serial(
  'an address another replica counted to its limit is refused by the lane while its user is admitted from their budget',
  async (t) => {
    const { accessToken } = await registerViaGateway();
    const from = freshAddress();
    // `counted` allows 100 per address: these are admitted there and written to the shared store behind.
    for (let sent = 0; sent < PER_ADDRESS; sent += 1) t.is((await get(pair.lane, accessToken, from)).status, 200);
    const store = kitDatabase(postgres, { port: postgres.port, database: 'api_gateway' });
    t.teardown(() => store.close());
    const written = await settle(
      async () => (await rowOf(store, `ip:${from}`))?.points ?? 0,
      (points) => points >= PER_ADDRESS,
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    t.is(written, PER_ADDRESS);
    const before = probe.requests.length;
    // This replica knows nothing of the address yet, and has no budget for it: its count waits for the store.
    const lane = await get(addressPair.lane, accessToken, from);
    t.is(lane.status, 429, 'the lane waited for the address count the store refused');
    t.is(probe.requests.length, before, 'nothing over the limit reached the service');
  },
);
