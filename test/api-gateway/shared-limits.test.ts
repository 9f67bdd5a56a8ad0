import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { startPostgres, type PostgresServer } from '@cf/embedded/postgres';
import { startGatewayProcess } from '@cf/embedded/gateway-process';
import { call, startUserServiceFixture, type UserServiceFixture } from '../user-service/fixture.ts';
import { startGateway, type GatewayHandle } from './fixture.ts';
import { startProbe, type Probe } from './probe.ts';
import { startTogether } from '@cf/embedded/process';
import { startSilentServer } from '../support/silent-server.ts';

// Two gateway replicas counting into one PostgreSQL (RATE_LIMIT_STORE=postgres, as the charts run them): a limit
// holds for both together; with PostgreSQL gone each still serves, counting alone. The replicas below count
// exactly (RATE_LIMIT_LOCAL_SHARE=0: every request waits for its place in PostgreSQL); the bound with a local
// budget (requests admitted before PostgreSQL has counted them) is proven with two gateway processes.
const PER_IP = 6;
const PER_USER = 4;
let users: UserServiceFixture;
let probe: Probe;
let postgres: PostgresServer;
let replicas: [GatewayHandle, GatewayHandle];
let databaseEnv: Record<string, string>;

/**
 * A gateway in front of this file's upstreams whose shared rate-limit store is a PostgreSQL that accepts connections
 * and never answers; `env` adds the limits under test. Both stop when the test of `t` ends.
 */
async function gatewayOnSilentStore(t: ExecutionContext, env: Record<string, string>): Promise<GatewayHandle> {
  const silent = await startSilentServer();
  t.teardown(() => silent.close());
  const gateway = await startGateway({
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: probe.url,
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_LIMIT_STORE: 'postgres',
    DATABASE_PORT: String(silent.port),
    DATABASE_USER: 'nobody',
    DATABASE_PASSWORD: 'unused',
    ...env,
  });
  t.teardown(() => gateway.stop());
  return gateway;
}

test.before(async () => {
  [users, probe, postgres] = await startTogether([
    startUserServiceFixture({ REGISTER_LIMIT_PER_IP: '1000' }),
    startProbe(),
    startPostgres(),
  ]);
  await postgres.query('CREATE DATABASE api_gateway');
  databaseEnv = {
    RATE_LIMIT_STORE: 'postgres',
    DATABASE_PORT: String(postgres.port),
    DATABASE_USER: postgres.user,
    DATABASE_PASSWORD: postgres.password,
  };
  const env = {
    USER_SERVICE_URL: users.url,
    INTEGRATION_SERVICE_URL: probe.url,
    // The test plays the TLS entry and names each client's address.
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_LIMIT_PER_IP: String(PER_IP),
    RATE_LIMIT_PER_USER: String(PER_USER),
    RATE_LIMIT_LOCAL_SHARE: '0',
    ...databaseEnv,
  };
  replicas = [await startGateway(env), await startGateway(env)];
  await Promise.all(replicas.map((replica) => replica.store!.ready));
});

test.after.always(async () => {
  await Promise.all((replicas ?? []).map((replica) => replica.stop()));
  await probe?.close();
  await users?.stop();
  await postgres?.stop();
});

/** A client address no other test uses, so each test starts from zero counts. */
const freshIp = (): string => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.7`;

async function token(): Promise<string> {
  const registered = await call(users.url, 'POST', '/auth/register', {
    body: { email: `limits-${randomUUID().slice(0, 8)}@example.org`, password: `shared limits ${randomUUID()}` },
  });
  return ((registered.body['session'] as { access_token: string }) ?? {}).access_token;
}

test.serial('one client address is limited across both replicas together, not per replica', async (t) => {
  const ip = freshIp();
  const statuses: number[] = [];
  for (let i = 0; i < PER_IP + 2; i += 1) {
    statuses.push((await call(replicas[i % 2]!.url, 'GET', '/api/openapi.json', { ip })).status);
  }
  t.deepEqual(statuses, [...Array<number>(PER_IP).fill(200), 429, 429]);
});

test.serial(
  'one user is limited across both replicas together, whatever address each request comes from',
  async (t) => {
    const accessToken = await token();
    const statuses: number[] = [];
    for (let i = 0; i < PER_USER + 2; i += 1) {
      statuses.push(
        (await call(replicas[i % 2]!.url, 'GET', '/api/telegram/accounts', { token: accessToken, ip: freshIp() }))
          .status,
      );
    }
    t.deepEqual(statuses, [...Array<number>(PER_USER).fill(200), 429, 429]);
  },
);

test.serial('a refusal carries Retry-After up to the end of the shared window', async (t) => {
  const ip = freshIp();
  for (let i = 0; i < PER_IP; i += 1) await call(replicas[i % 2]!.url, 'GET', '/api/openapi.json', { ip });
  const refused = await call(replicas[1].url, 'GET', '/api/openapi.json', { ip });
  t.is(refused.status, 429);
  t.is(refused.headers.get('content-type'), 'application/problem+json');
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
});

test.serial(
  'a PostgreSQL that accepts connections but never answers delays a request by the store deadline only',
  async (t) => {
    const gateway = await gatewayOnSilentStore(t, { RATE_LIMIT_PER_IP: '2', RATE_LIMIT_STORE_TIMEOUT_MS: '200' });
    const ip = freshIp();
    const started = performance.now();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await call(gateway.url, 'GET', '/api/openapi.json', { ip })).status);
    const elapsed = performance.now() - started;
    // Counted in this replica's memory once the store missed its deadline: the limit still applies.
    t.deepEqual(statuses, [200, 200, 429]);
    // The first request waits out the deadline; the next ones skip the failing store (storeRetryMs).
    t.true(elapsed < 3000, `${elapsed.toFixed(0)} ms for three requests`);
    t.false(gateway.gateway.limits.shared());
  },
);

test.serial('an address over its limit gets 429 on authenticated routes too, even with a bad token', async (t) => {
  const ip = freshIp();
  for (let i = 0; i < PER_IP; i += 1) await call(replicas[i % 2]!.url, 'GET', '/api/openapi.json', { ip });
  const withBadToken = await call(replicas[0].url, 'GET', '/api/telegram/accounts', { ip, token: 'not-a-token' });
  const withGoodToken = await call(replicas[1].url, 'GET', '/api/telegram/accounts', { ip, token: await token() });
  t.deepEqual([withBadToken.status, withGoodToken.status], [429, 429]);
});

test.serial(
  'with a local budget, two gateway processes together admit at most the limit plus one budget each per window',
  async (t) => {
    // Budget per replica: floor(100 × 0.1) = 10, so at most 100 + 2 × 10 of the 300 requests below get through.
    const limit = 100;
    const budget = 10;
    const env = {
      USER_SERVICE_URL: users.url,
      INTEGRATION_SERVICE_URL: probe.url,
      TRUSTED_PROXIES: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_IP: String(limit),
      RATE_LIMIT_LOCAL_SHARE: '0.1',
      // The bound is for a store that answers; on this shared machine a first connection can take longer than the
      // default 250 ms, and past the deadline each replica counts alone (the test below the next one).
      RATE_LIMIT_STORE_TIMEOUT_MS: '5000',
      ...databaseEnv,
    };
    const processes = await startTogether([startGatewayProcess(env), startGatewayProcess(env)]);
    t.teardown(async () => {
      await Promise.all(processes.map((gateway) => gateway.stop()));
    });
    const ip = freshIp();
    // Eight clients per process at once, so both admit ahead of PostgreSQL while the other's counts are unknown.
    const statuses = (
      await Promise.all(
        processes.flatMap((gateway) =>
          Array.from({ length: 8 }, async () => {
            const seen: number[] = [];
            for (let i = 0; i < 150 / 8; i += 1) {
              seen.push((await call(gateway.url, 'GET', '/api/openapi.json', { ip })).status);
            }
            return seen;
          }),
        ),
      )
    ).flat();
    const admitted = statuses.filter((status) => status === 200).length;
    t.deepEqual(
      statuses.filter((status) => status !== 200 && status !== 429),
      [],
    );
    t.log(`${admitted} of ${statuses.length} admitted`);
    t.true(admitted >= limit, `${admitted} admitted: the limit itself must be reachable`);
    t.true(admitted <= limit + 2 * budget, `${admitted} admitted of ${statuses.length}, bound ${limit + 2 * budget}`);
    for (const gateway of processes) {
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      t.regex(metrics, /^gateway_rate_limit_store_failures_total\{[^}]*\} 0$/m, 'every count reached PostgreSQL');
    }
  },
);

test.serial("a request within its replica's local budget does not wait for PostgreSQL", async (t) => {
  const gateway = await gatewayOnSilentStore(t, {
    RATE_LIMIT_PER_IP: '100',
    RATE_LIMIT_LOCAL_SHARE: '0.1',
    // Far longer than any answer takes here: a request that waited for this store would show it.
    RATE_LIMIT_STORE_TIMEOUT_MS: '4000',
  });
  const started = performance.now();
  const status = (await call(gateway.url, 'GET', '/api/openapi.json', { ip: freshIp() })).status;
  const elapsed = performance.now() - started;
  t.is(status, 200);
  t.true(elapsed < 2000, `${elapsed.toFixed(0)} ms with a store that never answers (deadline 4000 ms)`);
  t.true(gateway.gateway.limits.shared());
});

// Last: it stops the shared PostgreSQL.
test.serial('with PostgreSQL down both replicas keep serving, each counting the limit alone', async (t) => {
  await postgres.stop();
  const ip = freshIp();
  const byReplica: number[][] = [[], []];
  for (const [index, replica] of replicas.entries()) {
    for (let i = 0; i < PER_IP + 1; i += 1) {
      byReplica[index]!.push((await call(replica.url, 'GET', '/api/openapi.json', { ip })).status);
    }
  }
  const perReplica = [...Array<number>(PER_IP).fill(200), 429];
  t.deepEqual(byReplica, [perReplica, perReplica]);
  const metrics = await (await fetch(`${replicas[0].url}/metrics`)).text();
  t.regex(metrics, /^gateway_rate_limit_store_failures_total\{[^}]*\} [1-9]/m);
  t.true(replicas[0].logs.some((line) => line.includes('rate-limit store failed')));
});
