import test, { type ExecutionContext } from 'ava';
import { createServer, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger, HttpProblem, type KeyResolver, type VerifiedClaims } from '@cf/kit';
import { createEdgeAuth, type EdgeAuth, type EdgeAuthOptions } from '../../services/api-gateway/src/edge-auth.ts';
import { testIssuer } from '../kit/token-issuer.ts';
import { listenOnLoopback } from '../support/loopback-server.ts';

// createEdgeAuth on its own (services/api-gateway/src/edge-auth.ts): the verified-token cache, what it answers when
// it refuses, and the revocation-lag histogram. The gateway suites see the same code only through HTTP, where a
// cache that never hits, or never lets go, answers every request the same.

const issuer = testIssuer();
const LAG = 'gateway_revocation_lag_seconds';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = (token: string): string => `Bearer ${token}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The issuer's keys, counting lookups; `retire()` drops the key as a JWKS refetch without it would. */
interface Keys extends KeyResolver {
  lookups: number;
  retire(): void;
}

function countingKeys(): Keys {
  let retired = false;
  const keys: Keys = {
    lookups: 0,
    async key(kid) {
      keys.lookups += 1;
      // JwksKeys answers undefined for a kid it does not (or no longer) know.
      return retired ? undefined : issuer.check.keys.key(kid);
    },
    retire() {
      retired = true;
    },
  };
  return keys;
}

interface Feed {
  url: string;
  /** Ends `sid` on the feed; resolves to the feed's new version. */
  revoke(sid: string, untilSeconds: number): number;
}

/**
 * user-service's session-revocation feed as SessionRevocations reads it (`?after=&wait=`, long poll): the edge
 * refuses every token with a 503 until it has loaded the list, so each test follows a feed of its own.
 */
async function startFeed(t: ExecutionContext): Promise<Feed> {
  const revocations: { version: number; sid: string; revokedAt: number; until: number }[] = [];
  const waiting = new Set<() => void>();
  const version = (): number => revocations.length;
  const answer = (response: ServerResponse, after: number): void => {
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        version: version(),
        more: false,
        revocations: revocations
          .filter((revocation) => revocation.version > after)
          .map(({ sid, revokedAt, until }) => ({ sid, revokedAt, until })),
      }),
    );
  };
  const server = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://feed').searchParams;
    const after = Number(query.get('after') ?? 0);
    const waitMs = Number(query.get('wait') ?? 0) * 1000;
    if (waitMs === 0 || version() > after) {
      answer(response, after);
      return;
    }
    const wake = (): void => {
      clearTimeout(timer);
      waiting.delete(wake);
      if (!response.writableEnded && !response.destroyed) answer(response, after);
    };
    const timer = setTimeout(wake, waitMs);
    waiting.add(wake);
    response.on('close', () => {
      clearTimeout(timer);
      waiting.delete(wake);
    });
  });
  const listening = await listenOnLoopback(server);
  t.teardown(listening.close);
  return {
    url: `${listening.origin}/internal/session-revocations`,
    revoke(sid, untilSeconds) {
      revocations.push({ version: version() + 1, sid, revokedAt: Date.now() / 1000, until: untilSeconds });
      for (const wake of [...waiting]) wake();
      return version();
    },
  };
}

interface Edge {
  edge: EdgeAuth;
  keys: Keys;
  feed: Feed;
  registry: Registry;
}

/** A started edge with its own keys, feed and registry, stopped when the test ends. */
async function edgeAuth(
  t: ExecutionContext,
  options: Pick<EdgeAuthOptions, 'cachedForMs' | 'cachedTokens'> = {},
): Promise<Edge> {
  const keys = countingKeys();
  const feed = await startFeed(t);
  const registry = new Registry();
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const edge = createEdgeAuth({
    keys,
    issuer: issuer.check.issuer,
    audience: issuer.check.audience,
    revocationsUrl: feed.url,
    logger: createLogger({ name: 'edge-auth-cache-test', stream: discard }),
    registry,
    ...options,
  });
  edge.revocations.start();
  t.teardown(() => edge.revocations.stop());
  await edge.revocations.ready(5000);
  return { edge, keys, feed, registry };
}

/** What `claimsFor` threw or rejected with; undefined when it gave claims. */
async function refusal(call: () => VerifiedClaims | Promise<VerifiedClaims>): Promise<unknown> {
  try {
    await call();
    return undefined;
  } catch (error) {
    return error;
  }
}

function isUnauthorized(t: ExecutionContext, error: unknown): void {
  t.true(error instanceof HttpProblem, 'an HttpProblem');
  t.like(error, { status: 401, detail: 'a valid access token is required' });
}

/** The claims `claimsFor` gave from the cache: synchronously, as only a token verified before can be. */
function cachedClaims(t: ExecutionContext, edge: EdgeAuth, authorization: string): VerifiedClaims | undefined {
  const claims = edge.claimsFor(authorization);
  if (!(claims instanceof Promise)) return claims;
  claims.catch(() => undefined);
  t.fail('the token was verified again');
  return undefined;
}

// Serial, and so before every other test of the file: it moves performance.now, the clock lru-cache reads.
test.serial('a verification is reused for five minutes by default, and no longer', async (t) => {
  const { edge, keys } = await edgeAuth(t);
  const token = issuer.token({ claims: { exp: nowSeconds() + 3600 } });
  await edge.claimsFor(bearer(token));
  keys.retire();
  const realNow = performance.now.bind(performance);
  let skewMs = 0;
  Object.defineProperty(performance, 'now', { value: () => realNow() + skewMs, configurable: true });
  t.teardown(() => Reflect.deleteProperty(performance, 'now'));

  skewMs = 299_000;
  t.like(cachedClaims(t, edge, bearer(token)), { sub: 'user-1' }, 'still honoured just before 300 000 ms');
  skewMs = 301_000;
  isUnauthorized(t, await refusal(() => edge.claimsFor(bearer(token))));
  t.is(keys.lookups, 2, 'verified again once the five minutes had passed');
});

// Serial too: it moves Date.now, the wall clock, and only that one, as an NTP step does; lru-cache measures a
// cached token's TTL on performance.now, so the token is still in the cache and only the check of exp refuses it.
test.serial(
  'expiry is checked on every request: a cached token is refused from the instant its exp is reached',
  async (t) => {
    const { edge } = await edgeAuth(t, { cachedForMs: 60_000 });
    const exp = nowSeconds() + 5;
    const token = issuer.token({ claims: { exp } });
    await edge.claimsFor(bearer(token));
    const wallClock = Object.getOwnPropertyDescriptor(Date, 'now');
    t.teardown(() => {
      if (wallClock !== undefined) Object.defineProperty(Date, 'now', wallClock);
    });
    const setWallClock = (ms: number): void => {
      Object.defineProperty(Date, 'now', { value: () => ms, configurable: true, writable: true });
    };

    setWallClock(exp * 1000 - 1);
    t.like(cachedClaims(t, edge, bearer(token)), { sub: 'user-1' }, 'honoured a millisecond before exp');
    // RFC 7519 §4.1.4: the token may be accepted only before its exp.
    setWallClock(exp * 1000);
    isUnauthorized(t, await refusal(() => edge.claimsFor(bearer(token))));
  },
);

test('a token verified once is not verified again on later requests', async (t) => {
  const { edge, keys } = await edgeAuth(t);
  const token = issuer.token();
  const first = await edge.claimsFor(bearer(token));
  // Long enough for a TTL of a millisecond or so to have lapsed.
  await sleep(50);
  t.deepEqual(cachedClaims(t, edge, bearer(token)), first);
  t.is(keys.lookups, 1);
});

test('a key retired from the JWKS is still honoured from the cache, but only for cachedForMs', async (t) => {
  const { edge, keys } = await edgeAuth(t, { cachedForMs: 200 });
  const token = issuer.token({ claims: { exp: nowSeconds() + 60 } });
  await edge.claimsFor(bearer(token));
  keys.retire();
  t.like(cachedClaims(t, edge, bearer(token)), { sub: 'user-1' }, 'honoured while cached');
  await sleep(300);
  isUnauthorized(t, await refusal(() => edge.claimsFor(bearer(token))));
  t.is(keys.lookups, 2, 'asked the resolver again once cachedForMs had passed');
});

test("a cached verification does not outlive the token's exp, however long cachedForMs is", async (t) => {
  const { edge, keys } = await edgeAuth(t, { cachedForMs: 60_000 });
  const exp = nowSeconds() + 2;
  const token = issuer.token({ claims: { exp } });
  await edge.claimsFor(bearer(token));
  await sleep(exp * 1000 - Date.now() + 100);
  const late = edge.claimsFor(bearer(token));
  t.true(late instanceof Promise, 'not answered from the cache');
  isUnauthorized(t, await refusal(() => late));
  t.is(keys.lookups, 2, 'the expired token went back to verification');
});

test('only the cachedTokens most recently used verifications are kept', async (t) => {
  const { edge, keys } = await edgeAuth(t, { cachedTokens: 1 });
  const a = issuer.token({ claims: { jti: 'token-a' } });
  const b = issuer.token({ claims: { jti: 'token-b' } });
  await edge.claimsFor(bearer(a));
  await edge.claimsFor(bearer(b));
  await edge.claimsFor(bearer(a));
  t.is(keys.lookups, 3, 'b pushed a out, so a was verified again');
});

test('a request without a token is refused with a 401 that asks for a valid access token', async (t) => {
  const { edge } = await edgeAuth(t);
  isUnauthorized(t, await refusal(() => edge.claimsFor(undefined)));
});

test('a token that is no JWT is refused with a 401 that asks for a valid access token', async (t) => {
  const { edge } = await edgeAuth(t);
  isUnauthorized(t, await refusal(() => edge.claimsFor(bearer('not.a.jwt'))));
});

test('an expired token is refused with a 401 that asks for a valid access token', async (t) => {
  const { edge } = await edgeAuth(t);
  const now = nowSeconds();
  const token = issuer.token({ claims: { iat: now - 120, exp: now - 60 } });
  isUnauthorized(t, await refusal(() => edge.claimsFor(bearer(token))));
});

test('a token of a session revoked on the feed is refused, cached or not, with the same 401', async (t) => {
  const { edge, feed } = await edgeAuth(t);
  const exp = nowSeconds() + 60;
  const cached = issuer.token({ claims: { sid: 'session-revoked', exp, jti: 'token-cached' } });
  const fresh = issuer.token({ claims: { sid: 'session-revoked', exp, jti: 'token-fresh' } });
  await edge.claimsFor(bearer(cached));
  await edge.revocations.reached(feed.revoke('session-revoked', exp), 5000);
  isUnauthorized(t, await refusal(() => edge.claimsFor(bearer(cached))));
  isUnauthorized(t, await refusal(() => edge.claimsFor(bearer(fresh))));
});

test('a revocation learnt from the feed is observed in gateway_revocation_lag_seconds', async (t) => {
  const { edge, feed, registry } = await edgeAuth(t);
  await edge.revocations.reached(feed.revoke('session-ended', nowSeconds() + 60), 5000);
  const metric = await registry.getSingleMetricAsString(LAG);
  t.regex(metric, new RegExp(`^${LAG}_count 1$`, 'm'));
});

// The service dashboard (charts-ts/src/charts/observability/dashboards/service.ts) plots this histogram's p99 with
// histogram_quantile over these buckets: other boundaries would move the quantile it shows.
test('gateway_revocation_lag_seconds is registered with buckets from 5 ms to 5 s', async (t) => {
  const { registry } = await edgeAuth(t);
  const metric = await registry.getSingleMetricAsString(LAG);
  t.true(
    metric.includes(
      `# HELP ${LAG} Time from a session revocation committing in user-service to this gateway replica refusing its tokens`,
    ),
  );
  t.deepEqual(
    [...metric.matchAll(/le="([^"]+)"/g)].map((match) => match[1]),
    ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'],
  );
});
