import test from 'ava';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import {
  addresses,
  call,
  registerAccount,
  startUserServiceFixture,
  type Account,
  type UserServiceFixture,
} from './fixture.ts';
import { dereferenced } from '../support/openapi-refs.ts';
import { accountWithTotp } from './two-factor-support.ts';

// Issue 18 item 6: the admin console's routes over HTTP, against real PostgreSQL and OpenBao.
let f: UserServiceFixture;
const nextIp = addresses('10.6');

test.before(async () => {
  f = await startUserServiceFixture({ VAULT_TRANSIT_ENSURE: 'true', REGISTER_LIMIT_PER_IP: '1000' });
});

test.after.always(async () => {
  await f?.stop();
});

/** A query in the service's own database. */
function sql<Row extends object>(query: string, bind: unknown[]): Promise<Row[]> {
  return f.service.store.sequelize.query<Row>(query, { bind, type: QueryTypes.SELECT });
}

function register(prefix = 'user'): Promise<Account> {
  return registerAccount(f.url, nextIp(), `${prefix}-${randomUUID().slice(0, 8)}@example.org`, `pw ${randomUUID()}`);
}

function login(account: Account, password = account.password) {
  return call(f.url, 'POST', '/auth/login', { body: { email: account.email, password }, ip: nextIp() });
}

/** A new account given the admin role (as `cli.ts make-admin` does), logged in again to carry it in its token. */
async function makeAdmin(): Promise<Account> {
  const account = await register('admin');
  await f.service.store.updateAdminFields(account.userId, { role: 'admin' });
  const again = await login(account);
  return { ...account, accessToken: again.body['access_token'] as string };
}

function asAdmin(admin: Account, method: string, path: string, body?: unknown) {
  return call(f.url, method, path, { token: admin.accessToken, ip: nextIp(), ...(body ? { body } : {}) });
}

type Document = { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };

/** Every operation the service documents as administrators-only (the kit adds the 403 from `auth: 'admin'`). */
async function adminOperations(): Promise<{ method: string; path: string }[]> {
  const doc = (await (await fetch(`${f.url}/openapi.json`)).json()) as Document;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, op]) => dereferenced(doc, op.responses['403'])?.description === 'not an administrator')
      .map(([method]) => ({ method: method.toUpperCase(), path })),
  );
}

// --- who may call ----------------------------------------------------------------------------------

test.serial('every admin operation refuses a user token with a 403 problem', async (t) => {
  const operations = await adminOperations();
  t.deepEqual(operations.map(({ method, path }) => `${method} ${path}`).sort(), [
    'DELETE /admin/users/{id}/sessions',
    'GET /admin/users',
    'GET /admin/users/{id}',
    'GET /admin/users/{id}/audit',
    'PATCH /admin/users/{id}',
  ]);
  const user = await register();
  const other = await register();
  for (const { method, path } of operations) {
    const response = await call(f.url, method, path.replace('{id}', other.userId), {
      token: user.accessToken,
      ip: nextIp(),
      ...(method === 'PATCH' ? { body: { role: 'admin' } } : {}),
    });
    t.is(response.status, 403, `${method} ${path}`);
    t.is(response.headers.get('content-type'), 'application/problem+json', `${method} ${path}`);
  }
  // Nothing happened to the other account.
  t.is((await login(other)).status, 200);
  t.is((await f.service.store.userById(other.userId))?.role, 'user');
});

test.serial('admin operations without a token are 401', async (t) => {
  for (const { method, path } of await adminOperations()) {
    const response = await call(f.url, method, path.replace('{id}', randomUUID()), {
      ...(method === 'PATCH' ? { body: { role: 'admin' } } : {}),
    });
    t.is(response.status, 401, `${method} ${path}`);
  }
});

// --- list, search, detail --------------------------------------------------------------------------

test.serial('admins search accounts by part of the email, any case, paged with the total', async (t) => {
  const admin = await makeAdmin();
  const tag = `find${randomUUID().slice(0, 6)}`;
  const found = [await register(tag), await register(tag), await register(tag)];
  const first = await asAdmin(admin, 'GET', `/admin/users?q=${tag.toUpperCase()}&pageSize=2`);
  t.is(first.status, 200);
  t.like(first.body, { page: 1, pageSize: 2, total: 3 });
  const second = await asAdmin(admin, 'GET', `/admin/users?q=${tag}&pageSize=2&page=2`);
  t.like(second.body, { page: 2, total: 3 });
  const ids = [...(first.body['users'] as { id: string }[]), ...(second.body['users'] as { id: string }[])];
  t.deepEqual(
    ids.map((user) => user.id),
    found.map((account) => account.userId),
  );
  const beyond = await asAdmin(admin, 'GET', `/admin/users?q=${tag}&pageSize=2&page=3`);
  t.like(beyond.body, { users: [], total: 3 });
});

test.serial('search wildcards match only themselves', async (t) => {
  const admin = await makeAdmin();
  const response = await asAdmin(admin, 'GET', `/admin/users?q=${encodeURIComponent('%_')}`);
  t.is(response.status, 200);
  t.is(response.body['total'], 0);
});

test.serial('the list shows each account’s role, state and second factors, never a password hash', async (t) => {
  const admin = await makeAdmin();
  const account = await accountWithTotp(f.url, nextIp());
  const response = await asAdmin(admin, 'GET', `/admin/users?q=${encodeURIComponent(account.email)}`);
  const [row] = response.body['users'] as Record<string, unknown>[];
  t.like(row, {
    id: account.userId,
    email: account.email,
    role: 'user',
    disabled: false,
    emailVerified: false,
    secondFactors: { totp: true, passkeys: 0, recoveryCodesLeft: 10 },
  });
  t.false(JSON.stringify(response.body).includes('password'));
});

test.serial('the detail names verification, second factors and live sessions', async (t) => {
  const admin = await makeAdmin();
  const account = await accountWithTotp(f.url, nextIp());
  const response = await asAdmin(admin, 'GET', `/admin/users/${account.userId}`);
  t.is(response.status, 200);
  t.like(response.body, {
    id: account.userId,
    emailVerified: false,
    disabled: false,
    activeSessions: 1,
    secondFactors: { totp: true, passkeys: 0 },
  });
  t.is((response.body['secondFactors'] as { recoveryCodesLeft: number }).recoveryCodesLeft, 10);
});

// --- actions ---------------------------------------------------------------------------------------

test.serial('disabling ends every session and refuses login; enabling lets the account back in', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  const second = await login(account);
  const disabled = await asAdmin(admin, 'PATCH', `/admin/users/${account.userId}`, { disabled: true });
  t.is(disabled.status, 200);
  t.is(disabled.body['disabled'], true);
  for (const token of [account.accessToken, second.body['access_token'] as string]) {
    t.is((await call(f.url, 'GET', '/users/me', { token })).status, 401);
  }
  t.is((await asAdmin(admin, 'GET', `/admin/users/${account.userId}`)).body['activeSessions'], 0);
  t.is((await login(account)).status, 401);
  t.is((await asAdmin(admin, 'PATCH', `/admin/users/${account.userId}`, { disabled: false })).status, 200);
  t.is((await login(account)).status, 200);
});

test.serial('an admin promotes and demotes another account', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  t.is((await asAdmin(admin, 'PATCH', `/admin/users/${account.userId}`, { role: 'admin' })).body['role'], 'admin');
  const promoted = await login(account);
  t.is((await call(f.url, 'GET', '/admin/users', { token: promoted.body['access_token'] as string })).status, 200);
  t.is((await asAdmin(admin, 'PATCH', `/admin/users/${account.userId}`, { role: 'user' })).body['role'], 'user');
});

test.serial('an administrator cannot demote, disable or sign out themselves', async (t) => {
  const admin = await makeAdmin();
  for (const [method, body] of [
    ['PATCH', { role: 'user' }],
    ['PATCH', { disabled: true }],
    ['DELETE', undefined],
  ] as const) {
    const path = method === 'PATCH' ? `/admin/users/${admin.userId}` : `/admin/users/${admin.userId}/sessions`;
    const response = await asAdmin(admin, method, path, body);
    t.is(response.status, 409, `${method} ${JSON.stringify(body)}`);
    t.regex(response.body['detail'] as string, /administrators cannot .* themselves/);
  }
  const self = await asAdmin(admin, 'GET', `/admin/users/${admin.userId}`);
  t.like(self.body, { role: 'admin', disabled: false, activeSessions: 2 });
});

test.serial('ending an account’s sessions refuses its tokens and reaches the revocation feed', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  const sid = JSON.parse(Buffer.from(account.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string };
  const response = await asAdmin(admin, 'DELETE', `/admin/users/${account.userId}/sessions`);
  t.is(response.status, 200);
  t.deepEqual(response.body, { endedSessions: 1 });
  t.truthy(response.headers.get('x-revocation-version'));
  t.is((await call(f.url, 'GET', '/users/me', { token: account.accessToken })).status, 401);
  const feed = await call(f.url, 'GET', '/internal/session-revocations?after=0&wait=0');
  t.true((feed.body['revocations'] as { sid: string }[]).some((revocation) => revocation.sid === sid.sid));
  // The account itself is not disabled: it logs in again.
  t.is((await login(account)).status, 200);
});

test.serial('unknown accounts are 404 problems on every per-account operation', async (t) => {
  const admin = await makeAdmin();
  const id = randomUUID();
  for (const [method, path, body] of [
    ['GET', `/admin/users/${id}`, undefined],
    ['GET', `/admin/users/${id}/audit`, undefined],
    ['PATCH', `/admin/users/${id}`, { role: 'user' }],
    ['DELETE', `/admin/users/${id}/sessions`, undefined],
  ] as const) {
    const response = await asAdmin(admin, method, path, body);
    t.is(response.status, 404, `${method} ${path}`);
    t.is(response.body['detail'], 'no such account');
  }
});

// --- the audit trail -------------------------------------------------------------------------------

test.serial('the audit trail lists an account’s events newest first, with who acted', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  await login(account, 'definitely wrong');
  await login(account);
  await asAdmin(admin, 'PATCH', `/admin/users/${account.userId}`, { disabled: true });
  const response = await asAdmin(admin, 'GET', `/admin/users/${account.userId}/audit`);
  t.is(response.status, 200);
  const events = response.body['events'] as { event: string; actor: { id: string; email: string } | null }[];
  t.deepEqual(
    events.map((event) => event.event),
    ['admin.user-updated', 'login.success', 'login.failure', 'register'],
  );
  t.deepEqual(events[0]!.actor, { id: admin.userId, email: admin.email });
  t.deepEqual(events[3]!.actor, { id: account.userId, email: account.email });
  t.like(events[0], { details: { disabled: true } });
  t.like(events[2], { details: { reason: 'wrong-password' } });
  t.is(response.body['total'], 4);
});

test.serial('the audit trail pages with its total', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  for (let attempt = 0; attempt < 4; attempt += 1) await login(account, `wrong ${attempt}`);
  const all = await asAdmin(admin, 'GET', `/admin/users/${account.userId}/audit`);
  const pages = [1, 2, 3].map((page) =>
    asAdmin(admin, 'GET', `/admin/users/${account.userId}/audit?page=${page}&pageSize=2`),
  );
  const answers = await Promise.all(pages);
  t.deepEqual(
    answers.map((answer) => (answer.body['events'] as unknown[]).length),
    [2, 2, 1],
  );
  for (const answer of answers) t.like(answer.body, { pageSize: 2, total: 5 });
  t.deepEqual(
    answers.flatMap((answer) => (answer.body['events'] as { id: string }[]).map((event) => event.id)),
    (all.body['events'] as { id: string }[]).map((event) => event.id),
  );
});

test.serial('audit events store no password, token or code', async (t) => {
  const account = await accountWithTotp(f.url, nextIp());
  await login(account, 'a wrong password to remember');
  const rows = await sql<{ row: string }>(
    `SELECT row_to_json(e)::text AS row FROM audit_events e WHERE subject_user_id = $1`,
    [account.userId],
  );
  t.true(rows.length >= 4);
  const stored = rows.map((row) => row.row).join('\n');
  for (const secret of [account.password, 'a wrong password to remember', account.secret, account.accessToken]) {
    t.false(stored.includes(secret));
  }
  for (const code of account.recoveryCodes) t.false(stored.includes(code));
});

test.serial('account actions of the user and of administrators are both on the trail', async (t) => {
  const admin = await makeAdmin();
  const account = await accountWithTotp(f.url, nextIp());
  await asAdmin(admin, 'DELETE', `/admin/users/${account.userId}/sessions`);
  const response = await asAdmin(admin, 'GET', `/admin/users/${account.userId}/audit`);
  const names = (response.body['events'] as { event: string }[]).map((event) => event.event);
  t.is(names[0], 'admin.sessions-ended');
  t.true(names.includes('totp.enrolled'));
  t.true(names.includes('two-factor.enabled'));
  t.like((response.body['events'] as unknown[])[0], { details: { endedSessions: 1 } });
});

test.serial('a trail that cannot be written is logged and changes no answer', async (t) => {
  const account = await register();
  await f.service.store.sequelize.query('ALTER TABLE audit_events RENAME TO audit_events_away');
  try {
    t.is((await login(account)).status, 200);
  } finally {
    await f.service.store.sequelize.query('ALTER TABLE audit_events_away RENAME TO audit_events');
  }
  t.true(f.logs.some((line) => line.includes('"msg":"audit trail write failed"')));
  // The log record, the primary trail, was still written.
  t.true(f.logs.some((line) => line.includes('"event":"login.success"') && line.includes(account.userId)));
});

// --- bad input ---------------------------------------------------------------------------------------

test.serial('malformed paging and search parameters are 400 problems', async (t) => {
  const admin = await makeAdmin();
  for (const path of [
    '/admin/users?page=0',
    '/admin/users?page=1.5',
    '/admin/users?pageSize=0',
    '/admin/users?pageSize=many',
    `/admin/users?q=${'x'.repeat(201)}`,
    `/admin/users/${admin.userId}/audit?page=-1`,
    `/admin/users/${admin.userId}/audit?pageSize=abc`,
  ]) {
    const response = await asAdmin(admin, 'GET', path);
    t.is(response.status, 400, path);
    t.is(response.headers.get('content-type'), 'application/problem+json', path);
  }
});

test.serial('an id that is not a UUID matches no admin route (404 problem, handler never runs)', async (t) => {
  const admin = await makeAdmin();
  for (const path of ['/admin/users/not-an-id', '/admin/users/1/audit', '/admin/users/%27%3B--/sessions']) {
    const response = await asAdmin(admin, path.endsWith('sessions') ? 'DELETE' : 'GET', path);
    t.is(response.status, 404, path);
    t.is(response.headers.get('content-type'), 'application/problem+json', path);
  }
});

test.serial('a role outside user and admin, or an empty change, is a 400 problem', async (t) => {
  const admin = await makeAdmin();
  const account = await register();
  for (const body of [{ role: 'root' }, {}, { disabled: 'yes' }]) {
    const response = await asAdmin(admin, 'PATCH', `/admin/users/${account.userId}`, body);
    t.is(response.status, 400, JSON.stringify(body));
  }
});
