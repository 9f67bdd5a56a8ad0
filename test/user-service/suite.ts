// The fixture and helpers of the user-service suites that register and log in through HTTP, one service per file:
// every password and token they use is remembered, and each file ends by proving none of them reached the log.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { addresses, call, registerAccount, signedAccessToken, userServiceFixtureForFile } from './fixture.ts';

/** One file's user-service (login limit 5 per email and address, 50 registrations per address) and its helpers. */
export function userServiceSuite() {
  const f = userServiceFixtureForFile({ LOGIN_LIMIT_PER_EMAIL_IP: '5', REGISTER_LIMIT_PER_IP: '50' });
  /** Every password and token the file used; none may appear in the service's logs. */
  const secrets = new Set<string>();
  const freshIp = addresses('10.1');

  /** A fresh account registered from a fresh address, its password and tokens remembered for the leak scan. */
  async function register(overrides: Record<string, unknown> = {}) {
    const password = `pw-${randomUUID()}`;
    secrets.add(password);
    const account = await registerAccount(
      f.url,
      freshIp(),
      `user-${randomUUID().slice(0, 8)}@example.org`,
      password,
      overrides,
    );
    secrets.add(account.accessToken);
    secrets.add(account.refreshToken);
    return account;
  }

  async function login(email: string, password: string, ip = freshIp()) {
    const response = await call(f.url, 'POST', '/auth/login', { body: { email, password }, ip });
    if (typeof response.body['access_token'] === 'string') secrets.add(response.body['access_token']);
    if (response.refreshCookie !== undefined) secrets.add(response.refreshCookie);
    return response;
  }

  async function makeAdmin() {
    const account = await register();
    await f.service.store.updateAdminFields(account.userId, { role: 'admin' });
    const response = await login(account.email, account.password);
    return { ...account, accessToken: response.body['access_token'] as string };
  }

  /** PATCH /admin/users/{userId} with `changes` (role, disabled), as the holder of `token`; the answer as is. */
  function patchUser(token: string, userId: string, changes: Record<string, unknown>) {
    return call(f.url, 'PATCH', `/admin/users/${userId}`, { token, body: changes });
  }

  function forge(claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
    return signedAccessToken(f.service, claims, options);
  }

  function validClaims(account: { accessToken: string }): Record<string, unknown> {
    return jwt.decode(account.accessToken) as Record<string, unknown>;
  }

  /** Registers the file's last test: the service's log holds none of the passwords or tokens the file used. */
  function testLogHoldsNoSecrets(): void {
    test.serial('the captured log of the whole suite contains none of the passwords or tokens used', (t) => {
      const text = f.logs.join('\n');
      t.true(f.logs.length > 20, `only ${f.logs.length} log lines were captured`);
      const leaked = [...secrets].filter((secret) => secret.length >= 8 && text.includes(secret));
      t.deepEqual(leaked, []);
    });
  }

  return { f, secrets, freshIp, register, login, makeAdmin, patchUser, forge, validClaims, testLogHoldsNoSecrets };
}
