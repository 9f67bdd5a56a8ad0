import test from 'ava';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { startMailpit, type MailMessage } from '@cf/embedded';
import { addresses, call, mailingUserServiceForFile } from './fixture.ts';

// Issue 18: verification and reset links, mailed through a real SMTP server (Mailpit) from the PostgreSQL queue.
// A test stops Mailpit and starts another on the same port: `mail.server` holds whichever runs.
const { f, mail } = mailingUserServiceForFile({ MAIL_RETRY_DELAY_SECONDS: '1', REGISTER_LIMIT_PER_IP: '1000' });
const freshIp = addresses('10.7');
/** The queue sends one mail at a time; on a loaded machine the suite's earlier mails can hold these back a while. */
const MAIL_WAIT_MS = 45_000;

interface Account {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

async function register(email = `links-${randomUUID().slice(0, 8)}@example.org`): Promise<Account> {
  const password = `links-${randomUUID()}`;
  const response = await call(f.url, 'POST', '/auth/register', { body: { email, password }, ip: freshIp() });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    email,
    password,
    accessToken: (response.body['session'] as { access_token: string }).access_token,
    refreshToken: response.refreshCookie ?? '',
  };
}

/** The `<id>.<token>` a mail's link carries in its fragment, read from the plain-text body. */
function linkSecret(message: MailMessage, path: string): string {
  const match = new RegExp(`https://cf\\.example\\.test/${path}#token=([0-9a-f-]{36}\\.[A-Za-z0-9_-]{43})`).exec(
    message.Text,
  );
  if (match === null) throw new Error(`no ${path} link in: ${message.Text}`);
  return match[1]!;
}

/** Waits for the mail to `address` carrying the link with row id `id`, and returns its secret. */
async function waitForLink(address: string, id: string): Promise<string> {
  const deadline = Date.now() + MAIL_WAIT_MS;
  while (Date.now() < deadline) {
    for (const summary of await mail.server.messages()) {
      if (!summary.To.some((to) => to.Address === address)) continue;
      const secret = linkSecret(await mail.server.message(summary.ID), 'verify-email');
      if (secret.startsWith(`${id}.`)) return secret;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no mail to ${address} with link ${id}`);
}

async function me(account: Account): Promise<{ status: number; emailVerified?: boolean }> {
  const response = await call(f.url, 'GET', '/users/me', { token: account.accessToken });
  return { status: response.status, emailVerified: response.body['emailVerified'] as boolean | undefined };
}

test('registration mails a verification link that verifies the account', async (t) => {
  const account = await register();
  t.false((await me(account)).emailVerified);
  const message = await mail.server.waitForMessage(account.email, /confirm your email/, MAIL_WAIT_MS);
  t.true(message.HTML.includes('https://cf.example.test/verify-email#token='));
  const confirmed = await call(f.url, 'POST', '/auth/email-verification/confirm', {
    body: { token: linkSecret(message, 'verify-email') },
  });
  t.is(confirmed.status, 200);
  t.true((await me(account)).emailVerified);
});

test('a verification link works once', async (t) => {
  const account = await register();
  const secret = linkSecret(await mail.server.waitForMessage(account.email, /confirm/, MAIL_WAIT_MS), 'verify-email');
  t.is((await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: secret } })).status, 200);
  const again = await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: secret } });
  t.is(again.status, 400);
  t.is(again.body['type'], 'https://content-factory.local/problems/account-links/used');
});

test('an expired verification link is refused as expired', async (t) => {
  const account = await register();
  const secret = linkSecret(await mail.server.waitForMessage(account.email, /confirm/, MAIL_WAIT_MS), 'verify-email');
  await f.service.store.sequelize.query(
    `UPDATE action_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
    {
      bind: [secret.split('.')[0]],
    },
  );
  const response = await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: secret } });
  t.is(response.status, 400);
  t.is(response.body['type'], 'https://content-factory.local/problems/account-links/expired');
  t.false((await me(account)).emailVerified);
});

test('a forged, truncated or foreign link is a 400, never a 500', async (t) => {
  const account = await register();
  const secret = linkSecret(await mail.server.waitForMessage(account.email, /confirm/, MAIL_WAIT_MS), 'verify-email');
  const [id, token] = secret.split('.') as [string, string];
  const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  for (const forged of [`${id}.${flipped}`, `${randomUUID()}.${token}`, secret.slice(0, -3), 'x'.repeat(199), '']) {
    const response = await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: forged } });
    t.is(response.status, 400, forged);
  }
  // The reset endpoint does not take a verification link either.
  const crossed = await call(f.url, 'POST', '/auth/password-reset/confirm', {
    body: { token: secret, password: `new ${randomUUID()}` },
  });
  t.is(crossed.status, 400);
  t.false((await me(account)).emailVerified);
});

test('asking for a reset answers the same for an unknown and a known address; only the known one gets mail', async (t) => {
  const account = await register();
  const unknown = `nobody-${randomUUID().slice(0, 8)}@example.org`;
  const known = await call(f.url, 'POST', '/auth/password-reset', { body: { email: account.email }, ip: freshIp() });
  const stranger = await call(f.url, 'POST', '/auth/password-reset', { body: { email: unknown }, ip: freshIp() });
  t.is(known.status, 202);
  t.is(stranger.status, known.status);
  t.deepEqual(stranger.body, known.body);
  await mail.server.waitForMessage(account.email, /reset your password/, MAIL_WAIT_MS);
  // The queue has handled the unknown address by now too (one worker, in order): nothing went to it.
  t.false((await mail.server.messages()).some((m) => m.To.some((to) => to.Address === unknown)));
});

test('a reset link sets the new password, ends every session and tells the owner', async (t) => {
  const account = await register();
  await call(f.url, 'POST', '/auth/password-reset', { body: { email: account.email }, ip: freshIp() });
  const secret = linkSecret(
    await mail.server.waitForMessage(account.email, /reset your password/, MAIL_WAIT_MS),
    'reset-password',
  );
  const password = `reset ${randomUUID()}`;
  const done = await call(f.url, 'POST', '/auth/password-reset/confirm', { body: { token: secret, password } });
  t.is(done.status, 204);
  t.is((await me(account)).status, 401);
  t.is((await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken })).status, 401);
  const oldLogin = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password },
    ip: freshIp(),
  });
  t.is(oldLogin.status, 401);
  const login = await call(f.url, 'POST', '/auth/login', { body: { email: account.email, password }, ip: freshIp() });
  t.is(login.status, 200);
  await mail.server.waitForMessage(account.email, /your password was reset/, MAIL_WAIT_MS);
  const reuse = await call(f.url, 'POST', '/auth/password-reset/confirm', {
    body: { token: secret, password: `again ${randomUUID()}` },
  });
  t.is(reuse.status, 400);
});

test.serial('requests are answered while the SMTP server is down, and the mail goes out once it is back', async (t) => {
  const down = mail.server.smtpPort;
  await mail.server.stop();
  try {
    const account = await register();
    const reset = await call(f.url, 'POST', '/auth/password-reset', { body: { email: account.email }, ip: freshIp() });
    t.is(reset.status, 202);
    mail.server = await startMailpit({ smtpPort: down });
    const message = await mail.server.waitForMessage(account.email, /confirm your email/, MAIL_WAIT_MS);
    t.truthy(linkSecret(message, 'verify-email'));
  } finally {
    if (mail.server.process.child.exitCode !== null) mail.server = await startMailpit({ smtpPort: down });
  }
});

test('verification mails are limited per user; each supersedes the last; a verified account gets 409', async (t) => {
  const account = await register();
  const first = linkSecret(await mail.server.waitForMessage(account.email, /confirm/, MAIL_WAIT_MS), 'verify-email');
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    statuses.push((await call(f.url, 'POST', '/auth/email-verification', { token: account.accessToken })).status);
  }
  t.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
  t.is((await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: first } })).status, 400);
  // A link superseded before its mail went out is not sent at all; the newest open link always is.
  const [open] = await f.service.store.sequelize.query<{ id: string }>(
    `SELECT a.id FROM action_tokens a JOIN users u ON u.id = a.user_id
     WHERE u.email = $1 AND a.used_at IS NULL`,
    { bind: [account.email], type: QueryTypes.SELECT },
  );
  const latest = await waitForLink(account.email, open!.id);
  t.is((await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: latest } })).status, 200);
  const verified = await call(f.url, 'POST', '/auth/email-verification', { token: account.accessToken });
  t.is(verified.status, 409);
});

test('no link secret reaches the logs', async (t) => {
  const account = await register();
  const secret = linkSecret(await mail.server.waitForMessage(account.email, /confirm/, MAIL_WAIT_MS), 'verify-email');
  await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: secret } });
  const token = secret.split('.')[1]!;
  t.false(f.logs.some((line) => line.includes(token)));
  t.true(f.logs.some((line) => line.includes('"event":"email.verified"')));
});

/** The claims of an access token (read, not verified: the service that minted it is under test). */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

test('the access token says email_verified false until the link is followed, and true from the next refresh', async (t) => {
  const account = await register();
  t.is(claimsOf(account.accessToken)['email_verified'], false);
  const secret = linkSecret(await mail.server.waitForMessage(account.email, /confirm/, MAIL_WAIT_MS), 'verify-email');
  t.is((await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: secret } })).status, 200);
  const refreshed = await call(f.url, 'POST', '/auth/refresh', { cookie: account.refreshToken });
  t.is(refreshed.status, 200);
  t.is(claimsOf(refreshed.body['access_token'] as string)['email_verified'], true);
  const login = await call(f.url, 'POST', '/auth/login', {
    body: { email: account.email, password: account.password },
    ip: freshIp(),
  });
  t.is(claimsOf(login.body['access_token'] as string)['email_verified'], true, 'and so does a new login');
});

test('reset requests are limited per address however it is written: the fourth in an hour is 429', async (t) => {
  // An address with no account: the limit holds all the same, and no mail joins the queue the other tests wait on.
  const address = `nobody-${randomUUID().slice(0, 8)}@example.org`;
  const written = [address, `  ${address.toUpperCase()}  `, address.toUpperCase(), address];
  const statuses: number[] = [];
  // Each from its own address, so only the per-email limit (3 an hour) can refuse.
  for (const email of written)
    statuses.push((await call(f.url, 'POST', '/auth/password-reset', { body: { email }, ip: freshIp() })).status);
  t.deepEqual(statuses, [202, 202, 202, 429]);
});

test('changing the address mails a link to the new one, a notice to the old one, and unverifies the account', async (t) => {
  const account = await register();
  const newEmail = `moved-${randomUUID().slice(0, 8)}@example.org`;
  const changed = await call(f.url, 'POST', '/users/me/email', {
    token: account.accessToken,
    body: { newEmail, currentPassword: account.password },
  });
  t.is(changed.status, 200);
  t.is(changed.body['email'], newEmail);
  t.false(changed.body['emailVerified']);
  const notice = await mail.server.waitForMessage(account.email, /address is changing/, MAIL_WAIT_MS);
  t.true(notice.Text.includes(newEmail));
  const secret = linkSecret(await mail.server.waitForMessage(newEmail, /confirm/, MAIL_WAIT_MS), 'verify-email');
  t.is((await call(f.url, 'POST', '/auth/email-verification/confirm', { body: { token: secret } })).status, 200);
  t.true((await me(account)).emailVerified);
  const login = await call(f.url, 'POST', '/auth/login', {
    body: { email: newEmail, password: account.password },
    ip: freshIp(),
  });
  t.is(login.status, 200, 'the new address logs in');
});

test('changing the address with a wrong current password is a 400 naming the field, and changes nothing', async (t) => {
  const account = await register();
  const response = await call(f.url, 'POST', '/users/me/email', {
    token: account.accessToken,
    body: { newEmail: `x-${randomUUID().slice(0, 8)}@example.org`, currentPassword: 'not the password' },
  });
  t.is(response.status, 400);
  t.deepEqual(
    (response.body['errors'] as { field: string }[]).map((error) => error.field),
    ['currentPassword'],
  );
  const user = await call(f.url, 'GET', '/users/me', { token: account.accessToken });
  t.is(user.body['email'], account.email);
});

test('changing to an address another account has is a 409', async (t) => {
  const [account, other] = [await register(), await register()];
  const response = await call(f.url, 'POST', '/users/me/email', {
    token: account.accessToken,
    body: { newEmail: other.email.toUpperCase(), currentPassword: account.password },
  });
  t.is(response.status, 409);
});

test('changing to the address the account already has is a 400 naming newEmail', async (t) => {
  const account = await register();
  const response = await call(f.url, 'POST', '/users/me/email', {
    token: account.accessToken,
    body: { newEmail: account.email, currentPassword: account.password },
  });
  t.is(response.status, 400);
  t.deepEqual(
    (response.body['errors'] as { field: string }[]).map((error) => error.field),
    ['newEmail'],
  );
});
