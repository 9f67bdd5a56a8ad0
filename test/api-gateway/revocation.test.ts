import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, userServiceFixtureForFile, type CallOptions } from '../user-service/fixture.ts';
import { gatewayForFile, probeForFile, type GatewayHandle } from './fixture.ts';

// Two gateway replicas in front of one user-service: every way a session can end must reach both.
const users = userServiceFixtureForFile({ REGISTER_LIMIT_PER_IP: '1000', LOGIN_LIMIT_PER_IP: '1000' });
const probe = probeForFile();
const env = (): Record<string, string> => ({
  USER_SERVICE_URL: users.url,
  INTEGRATION_SERVICE_URL: probe.url,
  PUBLIC_ORIGIN: 'https://cf.example',
});
const replicas = [gatewayForFile(env), gatewayForFile(env)] as const;

const browser = { origin: 'https://cf.example', 'sec-fetch-site': 'same-origin' };

interface Session {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

async function register(): Promise<Session> {
  const email = `rv-${randomUUID().slice(0, 8)}@example.org`;
  const password = `revocation-${randomUUID()}`;
  const response = await call(users.url, 'POST', '/auth/register', { body: { email, password } });
  if (response.status !== 201) throw new Error(`register: ${response.status}`);
  const session = await login(email, password);
  return { ...session, userId: (response.body['user'] as { id: string }).id };
}

async function login(email: string, password: string): Promise<Session> {
  const response = await call(replicas[0]!.url, 'POST', '/api/auth/login', {
    body: { email, password, includeRefreshToken: true },
  });
  if (response.status !== 200) throw new Error(`login: ${response.status}`);
  return {
    userId: '',
    email,
    password,
    accessToken: response.body['access_token'] as string,
    refreshToken: response.body['refresh_token'] as string,
  };
}

async function statusOn(replica: GatewayHandle, token: string): Promise<number> {
  return (await call(replica.url, 'GET', '/api/telegram/accounts', { token })).status;
}

async function acceptedEverywhere(t: ExecutionContext, token: string): Promise<void> {
  t.deepEqual(await Promise.all(replicas.map((replica) => statusOn(replica, token))), [200, 200]);
}

/**
 * The revoked token is refused by both replicas. The replica that carried the revocation refuses it on
 * the very next request; the other is given 2 s (the promise is 100 ms — bench/gateway and the
 * gateway_revocation_lag_seconds histogram measure it — but this machine is shared and loaded).
 */
async function refusedEverywhere(t: ExecutionContext, token: string, carriedBy?: GatewayHandle): Promise<void> {
  if (carriedBy !== undefined) t.is(await statusOn(carriedBy, token), 401, 'refused at once where it went through');
  const deadline = Date.now() + 2000;
  let statuses: number[];
  do {
    statuses = await Promise.all(replicas.map((replica) => statusOn(replica, token)));
    if (statuses.every((status) => status === 401)) break;
    await sleep(10);
  } while (Date.now() < deadline);
  t.deepEqual(statuses, [401, 401]);
}

/**
 * A fresh session, accepted by both replicas, is logged out on `replicas[on]` at `path` with what `how` sends (204);
 * then it is refused everywhere.
 */
const logoutEndsItEverywhere = test.macro(
  async (t, on: 0 | 1, path: string, how: (session: Session) => CallOptions) => {
    const session = await register();
    await acceptedEverywhere(t, session.accessToken);
    const out = await call(replicas[on].url, 'POST', path, how(session));
    t.is(out.status, 204);
    await refusedEverywhere(t, session.accessToken, replicas[on]);
  },
);

test.serial(
  'logout with the access token ends the session on every replica',
  logoutEndsItEverywhere,
  1,
  '/api/auth/logout',
  (session) => ({ token: session.accessToken }),
);

test.serial(
  'logout naming the session by its refresh cookie only ends it on every replica',
  logoutEndsItEverywhere,
  0,
  '/api/auth/logout',
  (session) => ({ cookie: session.refreshToken, headers: browser }),
);

test.serial(
  'logout naming the session by a refresh token in the body ends it on every replica',
  logoutEndsItEverywhere,
  0,
  '/api/auth/logout',
  (session) => ({ body: { refresh_token: session.refreshToken } }),
);

for (const path of ['/api/auth/logout/', '/api/auth/Logout', '/api//auth/logout']) {
  test.serial(
    `logout at the path variant ${path} ends the session on every replica`,
    logoutEndsItEverywhere,
    1,
    path,
    (session) => ({ token: session.accessToken }),
  );
}

test.serial('logout-all at /api/auth/logout-all/ ends every session of the user on every replica', async (t) => {
  const first = await register();
  const second = await login(first.email, first.password);
  await acceptedEverywhere(t, second.accessToken);
  const out = await call(replicas[0]!.url, 'POST', '/api/auth/logout-all/', { token: first.accessToken });
  t.is(out.status, 204);
  await refusedEverywhere(t, first.accessToken, replicas[0]);
  await refusedEverywhere(t, second.accessToken, replicas[0]);
});

test.serial('deleting a session through DELETE /auth/sessions/:id ends it on every replica', async (t) => {
  const first = await register();
  const second = await login(first.email, first.password);
  const sid = (JSON.parse(Buffer.from(second.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string })
    .sid;
  const out = await call(replicas[1]!.url, 'DELETE', `/api/auth/sessions/${sid}`, { token: first.accessToken });
  t.is(out.status, 204);
  await refusedEverywhere(t, second.accessToken, replicas[1]);
  await acceptedEverywhere(t, first.accessToken);
});

test.serial('a password change ends the other sessions on every replica', async (t) => {
  const first = await register();
  const second = await login(first.email, first.password);
  const out = await call(replicas[0]!.url, 'POST', '/api/users/me/password', {
    token: first.accessToken,
    body: { currentPassword: first.password, newPassword: `changed-${randomUUID()}` },
  });
  t.is(out.status, 204);
  await refusedEverywhere(t, second.accessToken, replicas[0]);
  await acceptedEverywhere(t, first.accessToken);
});

test.serial('an administrator disabling the user ends their sessions on every replica', async (t) => {
  const admin = await register();
  await users.service.store.updateAdminFields(admin.userId, { role: 'admin' });
  const adminSession = await login(admin.email, admin.password);
  const victim = await register();
  await acceptedEverywhere(t, victim.accessToken);
  const out = await call(replicas[1]!.url, 'PATCH', `/api/admin/users/${victim.userId}`, {
    token: adminSession.accessToken,
    body: { disabled: true },
  });
  t.is(out.status, 200);
  await refusedEverywhere(t, victim.accessToken, replicas[1]);
});

test.serial('a user disabled by any database update loses their sessions on every replica', async (t) => {
  const victim = await register();
  await acceptedEverywhere(t, victim.accessToken);
  await users.service.store.updateAdminFields(victim.userId, { disabled: true });
  await refusedEverywhere(t, victim.accessToken);
});

test.serial('refresh-token reuse ends the session on every replica', async (t) => {
  const session = await register();
  const rotated = await call(replicas[0]!.url, 'POST', '/api/auth/refresh', {
    body: { refresh_token: session.refreshToken },
  });
  t.is(rotated.status, 200);
  const access = rotated.body['access_token'] as string;
  await acceptedEverywhere(t, access);
  await sleep(Number(users.env['REFRESH_GRACE_SECONDS']) * 1000 + 500);
  const reused = await call(replicas[1]!.url, 'POST', '/api/auth/refresh', {
    body: { refresh_token: session.refreshToken },
  });
  t.is(reused.status, 401);
  await refusedEverywhere(t, access, replicas[1]);
});

test.serial('a logout sent straight to user-service reaches every replica', async (t) => {
  const session = await register();
  await acceptedEverywhere(t, session.accessToken);
  t.is((await call(users.url, 'POST', '/auth/logout', { token: session.accessToken })).status, 204);
  await refusedEverywhere(t, session.accessToken);
});

test.serial('each replica measures how long revocations took to reach it', async (t) => {
  const session = await register();
  await call(users.url, 'POST', '/auth/logout', { token: session.accessToken });
  await refusedEverywhere(t, session.accessToken);
  for (const replica of replicas) {
    const metrics = await (await fetch(`${replica.url}/metrics`)).text();
    const count = Number(/^gateway_revocation_lag_seconds_count\S* (\d+)/m.exec(metrics)?.[1] ?? 0);
    t.true(count > 0, 'gateway_revocation_lag_seconds observed');
  }
});

test.serial('an authenticated request makes no call to user-service', async (t) => {
  const session = await register();
  await acceptedEverywhere(t, session.accessToken);
  const before = users.logs.length;
  t.is(await statusOn(replicas[0]!, session.accessToken), 200);
  // The revocation feed's long polls are the only traffic; no request asks about this session.
  const reachedUsers = users.logs
    .slice(before)
    .filter((line) => line.includes('"msg":"request"') && !line.includes('/internal/session-revocations'));
  t.deepEqual(reachedUsers, []);
});
