import test, { type ExecutionContext } from 'ava';
import { createHmac, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { call, signedAccessToken } from '../user-service/fixture.ts';
import { gatewaySuite } from './suite.ts';

const { users, probe, gw, registerViaGateway, probeCalls } = gatewaySuite();

// --- JWT attack set, rejected before anything reaches a service ------------------------------------

async function rejectedAtEdge(t: ExecutionContext, token: string): Promise<void> {
  const before = probe.requests.length;
  const response = await call(gw.url, 'GET', '/api/telegram/accounts', { token });
  t.is(response.status, 401);
  t.is(response.headers.get('content-type'), 'application/problem+json');
  t.is(probeCalls(before), 0, 'nothing reached the service');
}

function signed(claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return signedAccessToken(users.service, claims, options);
}

test.serial('a request without a token is rejected at the edge', async (t) => {
  await rejectedAtEdge(t, '');
});

test.serial('alg none is rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  await rejectedAtEdge(
    t,
    jwt.sign(claims, '', {
      algorithm: 'none' as jwt.Algorithm,
      header: { alg: 'none', kid: users.service.keys.current().kid, typ: 'at+jwt' },
    } as jwt.SignOptions),
  );
});

test.serial('HS256 signed with the public key is rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const key = users.service.keys.current();
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })).toString('base64url');
  const payload = account.accessToken.split('.')[1];
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await rejectedAtEdge(
    t,
    `${header}.${payload}.${createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url')}`,
  );
});

test.serial('wrong issuer, wrong audience, expiry and missing exp are rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  await rejectedAtEdge(t, signed({ ...claims, iss: 'https://evil.example' }));
  await rejectedAtEdge(t, signed({ ...claims, aud: 'other' }));
  await rejectedAtEdge(t, signed({ ...claims, iat: now - 3000, exp: now - 1000 }));
  const { exp: _exp, ...noExp } = claims;
  await rejectedAtEdge(t, signed(noExp));
});

test.serial('an unknown kid and a tampered payload are rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  const claims = jwt.decode(account.accessToken) as Record<string, unknown>;
  await rejectedAtEdge(
    t,
    jwt.sign(claims, users.service.keys.current().privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', kid: 'forged-kid', typ: 'at+jwt' },
    }),
  );
  const [header, , signature] = account.accessToken.split('.');
  const payload = Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString('base64url');
  await rejectedAtEdge(t, `${header}.${payload}.${signature}`);
});

test.serial('a refresh token used as an access token is rejected at the edge', async (t) => {
  const account = await registerViaGateway();
  await rejectedAtEdge(t, account.refreshToken);
});

test.serial('a token whose session logged out through the gateway is rejected at once', async (t) => {
  const account = await registerViaGateway();
  t.is((await call(gw.url, 'GET', '/api/telegram/accounts', { token: account.accessToken })).status, 200);
  t.is((await call(gw.url, 'POST', '/api/auth/logout', { token: account.accessToken })).status, 204);
  await rejectedAtEdge(t, account.accessToken);
});

test.serial('a token of a session ended elsewhere is rejected once the short cache lapses', async (t) => {
  const account = await registerViaGateway();
  t.is((await call(gw.url, 'GET', '/api/telegram/accounts', { token: account.accessToken })).status, 200);
  await call(users.url, 'POST', '/auth/logout', { token: account.accessToken }); // straight to user-service
  await new Promise((resolve) => setTimeout(resolve, 2100));
  await rejectedAtEdge(t, account.accessToken);
});

test.serial('admin routes need the admin role at the edge', async (t) => {
  const account = await registerViaGateway();
  t.is((await call(gw.url, 'GET', '/api/admin/users', { token: account.accessToken })).status, 403);
});

// --- CSRF ----------------------------------------------------------------------------------------

test.serial('a cookie-authenticated POST from a foreign origin is refused', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: account.refreshToken,
    headers: { origin: 'https://evil.example' },
  });
  t.is(response.status, 403);
  t.is(response.body['detail'], 'cross-site request refused');
});

test.serial('a cookie-authenticated POST marked cross-site is refused', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'POST', '/api/auth/logout', {
    cookie: account.refreshToken,
    headers: { 'sec-fetch-site': 'cross-site' },
  });
  t.is(response.status, 403);
  t.is(
    (await call(gw.url, 'GET', '/api/users/me', { token: account.accessToken })).status,
    200,
    'the session survived',
  );
});

test.serial('a cookie-authenticated POST from an allowed origin passes', async (t) => {
  const account = await registerViaGateway();
  const response = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: account.refreshToken,
    headers: { origin: 'https://admin.cf.example', 'sec-fetch-site': 'same-site' },
  });
  t.is(response.status, 403, 'same-site is not same-origin');
  const same = await call(gw.url, 'POST', '/api/auth/refresh', {
    cookie: account.refreshToken,
    headers: { origin: 'https://cf.example', 'sec-fetch-site': 'same-origin' },
  });
  t.is(same.status, 200);
});
