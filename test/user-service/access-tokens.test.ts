import test from 'ava';
import jwt from 'jsonwebtoken';
import { call } from './fixture.ts';
import { userServiceSuite } from './suite.ts';

const { f, register, login, forge, validClaims, testLogHoldsNoSecrets } = userServiceSuite();

// --- rejected tokens -----------------------------------------------------------------------------

test.serial('tokens with alg none are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  const unsigned = jwt.sign(claims, '', {
    algorithm: 'none' as jwt.Algorithm,
    header: { alg: 'none', kid: f.service.keys.current().kid, typ: 'at+jwt' },
  } as jwt.SignOptions);
  t.is((await call(f.url, 'GET', '/users/me', { token: unsigned })).status, 401);
});

test.serial('HS256 tokens signed with the public key are rejected', async (t) => {
  const account = await register();
  const publicPem = f.service.keys.current().publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const header = Buffer.from(
    JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: f.service.keys.current().kid }),
  ).toString('base64url');
  const payload = Buffer.from(JSON.stringify(validClaims(account))).toString('base64url');
  const { createHmac } = await import('node:crypto');
  const signature = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
  t.is((await call(f.url, 'GET', '/users/me', { token: `${header}.${payload}.${signature}` })).status, 401);
});

test.serial('a token of another type (typ JWT instead of at+jwt) is rejected', async (t) => {
  const account = await register();
  const key = f.service.keys.current();
  const token = jwt.sign(validClaims(account), key.privateKey, { algorithm: 'ES256', keyid: key.kid });
  t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
});

test.serial('tokens with a wrong issuer or audience are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, iss: 'https://evil.example' }) })).status,
    401,
  );
  t.is((await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, aud: 'someone-else' }) })).status, 401);
});

test.serial('expired tokens are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  const now = Math.floor(Date.now() / 1000);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, iat: now - 2000, exp: now - 1000 }) })).status,
    401,
  );
});

test.serial('tokens not valid yet are rejected', async (t) => {
  const account = await register();
  const claims = validClaims(account);
  t.is(
    (await call(f.url, 'GET', '/users/me', { token: forge({ ...claims, nbf: Math.floor(Date.now() / 1000) + 3600 }) }))
      .status,
    401,
  );
});

test.serial('tokens without exp are rejected', async (t) => {
  const account = await register();
  const { exp: _exp, ...claims } = validClaims(account);
  const token = forge(claims);
  t.false('exp' in (jwt.decode(token) as object));
  t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
});

test.serial('tokens with an unknown kid are rejected', async (t) => {
  const account = await register();
  const key = f.service.keys.current();
  const token = jwt.sign(validClaims(account), key.privateKey, {
    algorithm: 'ES256',
    header: { alg: 'ES256', kid: 'no-such-key', typ: 'at+jwt' },
  });
  t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
});

test.serial('tampered payloads are rejected', async (t) => {
  const account = await register();
  const [header, , signature] = account.accessToken.split('.');
  const payload = Buffer.from(JSON.stringify({ ...validClaims(account), role: 'admin' })).toString('base64url');
  t.is((await call(f.url, 'GET', '/admin/users', { token: `${header}.${payload}.${signature}` })).status, 401);
});

test.serial('a refresh token used as an access token is rejected', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'GET', '/users/me', { token: account.refreshToken })).status, 401);
});

test.serial('a token of a disabled user is rejected', async (t) => {
  const account = await register();
  await f.service.store.updateAdminFields(account.userId, { disabled: true });
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
});

test.serial('access tokens carry the documented claims and header', async (t) => {
  const account = await register();
  const decoded = jwt.decode(account.accessToken, { complete: true })!;
  t.is(decoded.header.alg, 'ES256');
  t.is(decoded.header.kid, f.service.keys.current().kid);
  t.is(decoded.header.typ, 'at+jwt', 'RFC 9068 access-token type');
  const claims = decoded.payload as Record<string, unknown>;
  t.deepEqual(Object.keys(claims).sort(), ['aud', 'email_verified', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
  t.is(claims['email_verified'], false, 'a new account is unverified');
  t.is((claims['exp'] as number) - (claims['iat'] as number), 900);
});

// --- keys ----------------------------------------------------------------------------------------

test.serial('the signing key was generated and stored in Vault KV on first start', async (t) => {
  const response = await fetch(`${f.vault.address}/v1/secret/data/user-service/signing-keys`, {
    headers: { 'x-vault-token': f.vault.rootToken ?? '' },
  });
  const stored = (await response.json()) as { data: { data: { keys: { kid: string }[] } } };
  t.is(stored.data.data.keys[0]?.kid, f.service.keys.current().kid);
});

test.serial('a rotated key signs once its publication time has passed, and old tokens still work', async (t) => {
  const account = await register();
  const oldKid = f.service.keys.current().kid;
  const next = await f.service.keys.rotate(1);
  const jwks = (await (await fetch(`${f.url}/.well-known/jwks.json`)).json()) as {
    keys: { kid: string; kty: string; d?: string }[];
  };
  t.deepEqual(jwks.keys.map((k) => k.kid).slice(0, 2), [next.kid, oldKid]);
  t.true(
    jwks.keys.every((key) => key.kty === 'EC' && key.d === undefined),
    'public keys only',
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, next.notBefore - Date.now()) + 50));
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 200);
  const fresh = await login(account.email, account.password);
  t.is(jwt.decode(fresh.body['access_token'] as string, { complete: true })?.header.kid, next.kid);
});

test.serial('a new signing key is in the JWKS for longer than the JWKS may be cached before it signs', async (t) => {
  const account = await register();
  const signing = f.service.keys.current().kid;
  const response = await fetch(`${f.url}/.well-known/jwks.json`);
  const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
  const next = await f.service.keys.rotate();
  const published = (await (await fetch(`${f.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  t.true(
    published.keys.some((key) => key.kid === next.kid),
    'published at once',
  );
  t.true(next.notBefore - Date.now() >= maxAge * 1000, `signs only after the ${maxAge} s a client may cache the JWKS`);
  const fresh = await login(account.email, account.password);
  t.is(
    jwt.decode(fresh.body['access_token'] as string, { complete: true })?.header.kid,
    signing,
    'the old key still signs',
  );
  await t.throwsAsync(f.service.keys.rotate(), { message: /already pending/ }, 'no second rotation while one waits');
});

testLogHoldsNoSecrets();
