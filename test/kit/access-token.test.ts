import test from 'ava';
import type { Context } from 'koa';
import {
  bearerToken,
  createApp,
  createLogger,
  emailVerified,
  listen,
  requireJwt,
  requireRole,
  verifiedClaims,
  verifyAccessToken,
  type RunningServer,
  type VerifiedClaims,
} from '@cf/kit';
import { captureLogs } from '../support/log-capture.ts';
import { testIssuer, type TokenParts } from './token-issuer.ts';

// Each rule of verifyAccessToken (FACTS.md: ES256 only, typ at+jwt per RFC 9068, issuer and audience pinned, the
// key chosen by kid, exp/sub/sid and a known role required) is refused on its own here, with every other part
// of the token valid, so removing any one check fails exactly its test. Real keys, real jsonwebtoken.

const { check, foreignKey, token } = testIssuer();
const issuer = check.issuer;
const audience = check.audience;

test('a valid token yields its claims', async (t) => {
  const claims = await verifyAccessToken(token({ claims: { role: 'admin' } }), check);
  t.like(claims, { iss: issuer, aud: audience, sub: 'user-1', sid: 'session-1', role: 'admin', jti: 'token-1' });
  t.is(typeof claims?.exp, 'number');
});

const refusals: [string, TokenParts][] = [
  ['a token typed as something other than an access token (typ JWT)', { header: { typ: 'JWT' } }],
  ['a token without typ', { header: { typ: undefined } }],
  ['a token without kid', { header: { kid: undefined } }],
  ['a token whose kid names no known key', { header: { kid: 'k2' } }],
  ['a token signed by another key under a known kid', { key: foreignKey }],
  ['a token of another issuer', { claims: { iss: 'https://elsewhere.test' } }],
  ['a token for another audience', { claims: { aud: 'another-service' } }],
  ['an expired token', { claims: { iat: 1000, exp: 1060 } }],
  ['a token without exp', { claims: { exp: undefined } }],
  ['a token without sub', { claims: { sub: undefined } }],
  ['a token without sid', { claims: { sid: undefined } }],
  ['a token whose sid is not a string', { claims: { sid: 42 } }],
  ['a token whose sub is not a string', { claims: { sub: 42 } }],
  ['a token with an unknown role', { claims: { role: 'root' } }],
  ['a token without role', { claims: { role: undefined } }],
  ['a token whose email_verified is not a boolean', { claims: { email_verified: 'true' } }],
];

for (const [what, parts] of refusals) {
  test(`${what} is refused`, async (t) => {
    t.is(await verifyAccessToken(token(parts), check), undefined);
  });
}

test('a string that is no JWT is refused without throwing', async (t) => {
  t.is(await verifyAccessToken('not.a.jwt', check), undefined);
  t.is(await verifyAccessToken('', check), undefined);
});

test('a token that says its address is verified, or not, passes either way', async (t) => {
  t.is((await verifyAccessToken(token({ claims: { email_verified: true } }), check))?.email_verified, true);
  t.is((await verifyAccessToken(token({ claims: { email_verified: false } }), check))?.email_verified, false);
});

test('a token without kid is refused even by a key resolver that answers every kid', async (t) => {
  const only = await check.keys.key('k1');
  const lenient = { ...check, keys: { key: async () => only } };
  t.truthy(await verifyAccessToken(token(), lenient), 'the resolver does verify a token with a kid');
  t.is(await verifyAccessToken(token({ header: { kid: undefined } }), lenient), undefined);
});

test('the Bearer token is read from a bare header value too, as the proxy lane passes it', (t) => {
  t.is(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  t.is(bearerToken('Bearer    '), undefined);
  t.is(bearerToken('Basic abc'), undefined);
  t.is(bearerToken(undefined), undefined);
});

test('emailVerified is true only for a token that says true; absent counts as unverified', (t) => {
  const ctxWith = (claims: Partial<VerifiedClaims>): Context => ({ state: { claims } }) as unknown as Context;
  t.true(emailVerified(ctxWith({ sub: 'u', email_verified: true })));
  t.false(emailVerified(ctxWith({ sub: 'u', email_verified: false })));
  t.false(emailVerified(ctxWith({ sub: 'u' })));
});

test('a user and an admin token both pass (the role is known either way)', async (t) => {
  t.is((await verifyAccessToken(token({ claims: { role: 'user' } }), check))?.role, 'user');
  t.is((await verifyAccessToken(token({ claims: { role: 'admin' } }), check))?.role, 'admin');
});

// bearerToken, requireJwt and verifiedClaims through a real Koa app of the kit.
let server: RunningServer;
let revoked = new Set<string>();
let seen: (VerifiedClaims | string)[] = [];

test.before(async () => {
  const { stream } = captureLogs();
  const service = createApp({ name: 'token-test', logger: createLogger({ name: 'token-test', stream }) });
  service.router.get('/bearer', (ctx) => {
    ctx.body = { token: bearerToken(ctx) ?? null };
  });
  service.router.get('/claims', (ctx) => {
    seen.push(verifiedClaims(ctx));
    ctx.body = { ok: true };
  });
  const authenticate = requireJwt({ ...check, isRevoked: (claims) => revoked.has(claims.sid) });
  service.router.get('/protected', authenticate, (ctx) => {
    seen.push(verifiedClaims(ctx));
    ctx.body = { ok: true };
  });
  service.router.get('/admin', authenticate, requireRole('admin'), (ctx) => {
    ctx.body = { ok: true };
  });
  server = await listen(service.app, { port: 0 });
});

test.after.always(async () => {
  await server?.close();
});

async function bearerOf(authorization: string): Promise<string | null> {
  const response = await fetch(`${server.url}/bearer`, { headers: { authorization } });
  return ((await response.json()) as { token: string | null }).token;
}

async function status(path: string, authorization?: string): Promise<number> {
  seen = [];
  const response = await fetch(`${server.url}${path}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  await response.body?.cancel();
  return response.status;
}

test.serial('the Bearer scheme is read case-insensitively and the token trimmed', async (t) => {
  t.is(await bearerOf('Bearer abc.def.ghi'), 'abc.def.ghi');
  t.is(await bearerOf('bearer abc.def.ghi'), 'abc.def.ghi');
  t.is(await bearerOf('BEARER   abc.def.ghi  '), 'abc.def.ghi');
});

test.serial('another scheme, a bare scheme or an empty token is no bearer token', async (t) => {
  t.is(await bearerOf('Basic dXNlcjpwYXNz'), null);
  t.is(await bearerOf('Bearer'), null);
  t.is(await bearerOf('Bearer    '), null);
  t.is(await bearerOf('xBearer abc'), null);
  t.is(await bearerOf('Bearerabc'), null);
});

test.serial('a verified token of a live session reaches the handler with its claims', async (t) => {
  t.is(await status('/protected', `Bearer ${token()}`), 200);
  t.like(seen, [{ sub: 'user-1', sid: 'session-1', role: 'user' }]);
});

test.serial('a verified token of a revoked session is refused with 401 before the handler', async (t) => {
  revoked = new Set(['session-1']);
  try {
    t.is(await status('/protected', `Bearer ${token()}`), 401);
    t.deepEqual(seen, []);
  } finally {
    revoked = new Set();
  }
});

test.serial('an invalid or missing token is refused with 401 before the handler', async (t) => {
  t.is(await status('/protected', `Bearer ${token({ key: foreignKey })}`), 401);
  t.is(await status('/protected'), 401);
  t.deepEqual(seen, []);
});

test.serial('a route that forgot requireJwt answers 401 instead of running without claims', async (t) => {
  t.is(await status('/claims', `Bearer ${token()}`), 401);
  t.deepEqual(seen, []);
});

async function problem(path: string, authorization?: string): Promise<{ status: number; detail: unknown }> {
  const response = await fetch(`${server.url}${path}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = (await response.json()) as { status: number; detail: unknown };
  return { status: response.status, detail: body.detail };
}

test.serial('a refused token is a 401 problem that says only that a valid token is required', async (t) => {
  t.deepEqual(await problem('/protected', 'Bearer not.a.jwt'), {
    status: 401,
    detail: 'a valid access token is required',
  });
});

test.serial(
  'a user token on an admin route is a 403 problem naming who may call it; an admin token passes',
  async (t) => {
    t.deepEqual(await problem('/admin', `Bearer ${token()}`), { status: 403, detail: 'administrators only' });
    t.is(await status('/admin', `Bearer ${token({ claims: { role: 'admin' } })}`), 200);
  },
);
