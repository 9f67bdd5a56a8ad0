import test from 'ava';
import { randomUUID } from 'node:crypto';
import { call } from './fixture.ts';
import { userServiceSuite } from './suite.ts';

const { f, secrets, register, login, makeAdmin, patchUser, testLogHoldsNoSecrets } = userServiceSuite();

// --- the account ---------------------------------------------------------------------------------

test.serial('PATCH /users/me changes the display name and nothing else', async (t) => {
  const account = await register();
  const response = await call(f.url, 'PATCH', '/users/me', {
    token: account.accessToken,
    body: { displayName: 'Grace', role: 'admin', id: randomUUID(), email: 'evil@example.org' },
  });
  t.is(response.status, 200);
  t.like(response.body, { displayName: 'Grace', role: 'user', id: account.userId, email: account.email });
});

test.serial('a password change needs the current password', async (t) => {
  const account = await register();
  const response = await call(f.url, 'POST', '/users/me/password', {
    token: account.accessToken,
    body: { currentPassword: 'not-the-password', newPassword: `new-${randomUUID()}` },
  });
  t.is(response.status, 400);
  t.is((response.body['errors'] as { field: string }[])[0]?.field, 'currentPassword');
});

test.serial('a password change ends the other sessions and keeps this one', async (t) => {
  const account = await register();
  const other = await login(account.email, account.password);
  const newPassword = `changed-${randomUUID()}`;
  secrets.add(newPassword);
  const response = await call(f.url, 'POST', '/users/me/password', {
    token: account.accessToken,
    body: { currentPassword: account.password, newPassword },
  });
  t.is(response.status, 204);
  t.is((await call(f.url, 'GET', '/users/me', { token: other.body['access_token'] as string })).status, 401);
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 200);
  t.is((await login(account.email, account.password)).status, 401);
  t.is((await login(account.email, newPassword)).status, 200);
});

// --- admin ---------------------------------------------------------------------------------------

test.serial('admin routes reject a user token', async (t) => {
  const account = await register();
  t.is((await call(f.url, 'GET', '/admin/users', { token: account.accessToken })).status, 403);
  t.is((await patchUser(account.accessToken, account.userId, { role: 'admin' })).status, 403);
});

test.serial('admins page through users with the page size capped', async (t) => {
  const admin = await makeAdmin();
  const response = await call(f.url, 'GET', '/admin/users?page=1&pageSize=1000', { token: admin.accessToken });
  t.is(response.status, 200);
  t.is(response.body['pageSize'], 100);
  t.true((response.body['total'] as number) >= 1);
  const bad = await call(f.url, 'GET', '/admin/users?page=0', { token: admin.accessToken });
  t.is(bad.status, 400);
});

test.serial('disabling a user stops their live tokens at once', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  const response = await patchUser(admin.accessToken, account.userId, { disabled: true });
  t.is(response.status, 200);
  t.is(response.body['disabled'], true);
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })).status, 401);
  t.true(f.logs.some((line) => line.includes('"event":"admin.user-updated"')));
});

test.serial('an admin can promote a user, who then passes admin checks after logging in again', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  t.is((await patchUser(admin.accessToken, account.userId, { role: 'admin' })).status, 200);
  const again = await login(account.email, account.password);
  t.is((await call(f.url, 'GET', '/admin/users', { token: again.body['access_token'] as string })).status, 200);
});

test.serial('an admin cannot disable themselves', async (t) => {
  const admin = await makeAdmin();
  const response = await patchUser(admin.accessToken, admin.userId, { disabled: true });
  t.is(response.status, 409);
});

test.serial('patching an unknown user is a 404', async (t) => {
  const admin = await makeAdmin();
  t.is((await patchUser(admin.accessToken, randomUUID(), { role: 'user' })).status, 404);
});

testLogHoldsNoSecrets();
