import test from 'ava';
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwksKeys, type JwksOptions } from '@cf/kit';

// JwksKeys (services/kit/src/auth/jwks.ts): which keys of the issuer's set are honoured, when the set is fetched
// again (an unknown kid, at most once per minRefreshMs; a set older than maxAgeMs) and what a failing issuer
// leaves behind. The clock is Date.now, set by each test (serial, so no test moves another's clock); the issuer is
// a real HTTP server whose answers and request count each test controls.

let clock = Date.now();
Date.now = () => clock;

interface Issuer {
  url: string;
  /** Requests it has answered (or left hanging). */
  requests: number;
  /** What it answers next: a status and a JSON body, or nothing at all. */
  answer: { status: number; body: unknown } | 'hang';
}

const servers: Server[] = [];
test.after.always(() => {
  for (const server of servers) server.closeAllConnections();
  return Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
});

async function issuer(body: unknown): Promise<Issuer> {
  const state: Issuer = { url: '', requests: 0, answer: { status: 200, body } };
  const server = createServer((_req, res) => {
    state.requests += 1;
    const { answer } = state;
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}

function ecKey(kid: string): { jwk: JsonWebKey & { kid: string }; publicKey: KeyObject } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { jwk: { ...publicKey.export({ format: 'jwk' }), kid }, publicKey };
}

const k1 = ecKey('k1');
const k2 = ecKey('k2');
const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'r1' };

const keysOf = (issuerState: Issuer, options: Omit<JwksOptions, 'url'> = {}) =>
  new JwksKeys({ url: issuerState.url, ...options });

test.serial("a kid in the issuer's set resolves to that public key", async (t) => {
  const keys = keysOf(await issuer({ keys: [k1.jwk, k2.jwk] }));
  t.true((await keys.key('k1'))?.equals(k1.publicKey));
  t.true((await keys.key('k2'))?.equals(k2.publicKey));
});

test.serial('keys of another type than EC are left out of the set', async (t) => {
  const keys = keysOf(await issuer({ keys: [rsa, k1.jwk] }));
  t.is(await keys.key('r1'), undefined);
});

test.serial('a known kid is answered from the fetched set without another request', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state, { minRefreshMs: 0 });
  await keys.key('k1');
  clock += 1000;
  t.truthy(await keys.key('k1'));
  t.is(state.requests, 1);
});

test.serial('an unknown kid fetches the set again, so a key added since is found', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state);
  await keys.key('k1');
  state.answer = { status: 200, body: { keys: [k1.jwk, k2.jwk] } };
  clock += 10_000;
  t.true((await keys.key('k2'))?.equals(k2.publicKey));
});

test.serial('unknown kids fetch the set again at most once per minRefreshMs', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state, { minRefreshMs: 2000 });
  await keys.key('k1');
  state.answer = { status: 200, body: { keys: [k1.jwk, k2.jwk] } };
  clock += 1999;
  t.is(await keys.key('k2'), undefined);
  t.is(await keys.key('forged'), undefined);
  t.is(state.requests, 1);
  clock += 1;
  t.truthy(await keys.key('k2'));
  t.is(state.requests, 2);
});

test.serial('by default, unknown kids fetch the set again at most once per ten seconds', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state);
  await keys.key('k1');
  clock += 9999;
  t.is(await keys.key('forged'), undefined);
  t.is(state.requests, 1);
});

test.serial('a set older than maxAgeMs is fetched again, and the keys it no longer lists are dropped', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state, { maxAgeMs: 60_000, minRefreshMs: 600_000 });
  await keys.key('k1');
  state.answer = { status: 200, body: { keys: [k2.jwk] } };
  clock += 60_000;
  t.truthy(await keys.key('k1'), 'a set exactly maxAgeMs old is still used');
  t.is(state.requests, 1);
  clock += 1;
  t.is(await keys.key('k1'), undefined);
  t.is(state.requests, 2);
});

test.serial('by default, a set is used for five minutes and fetched again after', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state);
  await keys.key('k1');
  state.answer = { status: 200, body: { keys: [k2.jwk] } };
  clock += 300_000;
  t.truthy(await keys.key('k1'));
  clock += 1;
  t.is(await keys.key('k1'), undefined);
});

test.serial('a set listing no keys retires every key', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state, { maxAgeMs: 1000 });
  await keys.key('k1');
  state.answer = { status: 200, body: {} };
  clock += 1001;
  t.is(await keys.key('k1'), undefined);
});

test.serial('a set served with an error status is not used', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  state.answer = { status: 500, body: { keys: [k1.jwk] } };
  t.is(await keysOf(state).key('k1'), undefined);
});

test.serial('a failed fetch keeps the keys fetched before', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state, { maxAgeMs: 1000 });
  await keys.key('k1');
  state.answer = { status: 503, body: {} };
  clock += 1001;
  t.true((await keys.key('k1'))?.equals(k1.publicKey));
  t.is(state.requests, 2);
});

test.serial('a failed fetch counts against the refetch limit, so an issuer that is down is not hammered', async (t) => {
  const state = await issuer({});
  state.answer = { status: 503, body: {} };
  const keys = keysOf(state);
  t.is(await keys.key('k1'), undefined);
  const requests = state.requests;
  clock += 1;
  t.is(await keys.key('k1'), undefined);
  t.is(state.requests, requests);
});

test.serial('lookups made while the set is being fetched share that one request', async (t) => {
  const state = await issuer({ keys: [k1.jwk] });
  const keys = keysOf(state);
  const found = await Promise.all([keys.key('k1'), keys.key('k1'), keys.key('k1')]);
  t.true(found.every((key) => key?.equals(k1.publicKey)));
  t.is(state.requests, 1);
});

test.serial('an issuer that does not answer within timeoutMs leaves the kid unknown', async (t) => {
  const state = await issuer({});
  state.answer = 'hang';
  const keys = keysOf(state, { timeoutMs: 100 });
  const started = performance.now();
  t.is(await keys.key('k1'), undefined);
  // Well under the 3 s default, however loaded the machine.
  t.true(performance.now() - started < 2500);
});
