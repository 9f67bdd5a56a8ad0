import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { addresses, call, mailingUserServiceForFile, registerAccount } from './fixture.ts';

// When one of user-service's limiters fails (not a refusal: its PostgreSQL write fails), the request is a 503 and an
// error-level log names that limiter and the error, so whoever looks knows which counter broke. Each limiter is made
// to fail on its own by a trigger on the shared `rate_limits` table that refuses writes to that limiter's rows
// (`<keyPrefix>:<key>`, src/limiter-store.ts) — a real PostgreSQL error, raised where the library writes.
// The reset and verification routes exist only with mail set up; no mail is sent while their limiter fails.
const { f } = mailingUserServiceForFile({ REGISTER_LIMIT_PER_IP: '1000' });
const freshIp = addresses('10.31');
const sql = (query: string) => f.service.store.sequelize.query(query);

test.before(async () => {
  await sql(`
    CREATE FUNCTION refuse_limiter_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (TG_OP = 'DELETE' AND OLD.key LIKE TG_ARGV[0] || ':%') OR (TG_OP <> 'DELETE' AND NEW.key LIKE TG_ARGV[0] || ':%')
      THEN
        RAISE EXCEPTION 'writes to % rows are refused by this test', TG_ARGV[0];
      END IF;
      RETURN COALESCE(NEW, OLD);
    END $$`);
});

/** Runs `during` while writes (`INSERT OR UPDATE`, or `DELETE`) to `limiter`'s rows fail, and returns its error logs. */
async function whileFailing(
  limiter: string,
  writes: 'INSERT OR UPDATE' | 'DELETE',
  during: () => Promise<void>,
): Promise<{ msg: string; limiter?: string; err?: { message?: string } }[]> {
  await sql(
    `CREATE TRIGGER refuse_rows BEFORE ${writes} ON rate_limits FOR EACH ROW EXECUTE FUNCTION refuse_limiter_rows('${limiter}')`,
  );
  const before = f.logs.length;
  try {
    await during();
  } finally {
    await sql('DROP TRIGGER refuse_rows ON rate_limits');
  }
  return f.logs
    .slice(before)
    .map((line) => JSON.parse(line) as { level: number; msg: string; limiter?: string; err?: { message?: string } })
    .filter((record) => record.level >= 50);
}

function register() {
  return registerAccount(f.url, freshIp(), `lf-${randomUUID().slice(0, 8)}@example.org`, `limits-${randomUUID()}`);
}

async function failedNaming(t: ExecutionContext, limiter: string, request: () => Promise<{ status: number }>) {
  let status = 0;
  const errors = await whileFailing(limiter, 'INSERT OR UPDATE', async () => {
    status = (await request()).status;
  });
  t.is(status, 503, 'a failed limiter is a 503, not a refusal or a pass');
  const failures = errors.filter((record) => record.msg === 'rate limiter failed');
  t.is(failures.length, 1, 'one error log for the one limiter that failed');
  t.is(failures[0]?.limiter, limiter, 'the log names the limiter');
  t.regex(failures[0]?.err?.message ?? '', new RegExp(`writes to ${limiter} rows are refused`), 'and the error');
}

test.serial('a failing per-address login limiter is a 503 whose log names login-ip', async (t) => {
  const { email } = await register();
  await failedNaming(t, 'login-ip', () =>
    call(f.url, 'POST', '/auth/login', { body: { email, password: 'whatever-pw' }, ip: freshIp() }),
  );
});

test.serial('a failing per-email-and-address login limiter is a 503 whose log names login-email-ip', async (t) => {
  const { email } = await register();
  await failedNaming(t, 'login-email-ip', () =>
    call(f.url, 'POST', '/auth/login', { body: { email, password: 'whatever-pw' }, ip: freshIp() }),
  );
});

test.serial('a failing registration limiter is a 503 whose log names register-ip', async (t) => {
  await failedNaming(t, 'register-ip', () =>
    call(f.url, 'POST', '/auth/register', {
      body: { email: `lf-${randomUUID().slice(0, 8)}@example.org`, password: `limits-${randomUUID()}` },
      ip: freshIp(),
    }),
  );
});

test.serial('a failing per-address reset limiter is a 503 whose log names reset-ip', async (t) => {
  const { email } = await register();
  await failedNaming(t, 'reset-ip', () =>
    call(f.url, 'POST', '/auth/password-reset', { body: { email }, ip: freshIp() }),
  );
});

test.serial('a failing per-email reset limiter is a 503 whose log names reset-email', async (t) => {
  const { email } = await register();
  await failedNaming(t, 'reset-email', () =>
    call(f.url, 'POST', '/auth/password-reset', { body: { email }, ip: freshIp() }),
  );
});

test.serial('a failing passkey-options limiter is a 503 whose log names passkey-options-ip', async (t) => {
  await failedNaming(t, 'passkey-options-ip', () => call(f.url, 'POST', '/auth/passkey/options', { ip: freshIp() }));
});

test.serial('a failing verification-mail limiter is a 503 whose log names verification-mail', async (t) => {
  const { accessToken } = await register();
  await failedNaming(t, 'verification-mail', () =>
    call(f.url, 'POST', '/auth/email-verification', { token: accessToken, ip: freshIp() }),
  );
});

test.serial(
  'a login still succeeds when its failures cannot be cleared, and the error log says which counter',
  async (t) => {
    const { email, password } = await register();
    let status = 0;
    const errors = await whileFailing('login-email-ip', 'DELETE', async () => {
      status = (await call(f.url, 'POST', '/auth/login', { body: { email, password }, ip: freshIp() })).status;
    });
    t.is(status, 200);
    const failures = errors.filter((record) => record.msg === 'rate limiter failed to clear a counter');
    t.is(failures.length, 1);
    t.is(failures[0]?.limiter, 'login-email-ip');
    t.regex(failures[0]?.err?.message ?? '', /writes to login-email-ip rows are refused/);
  },
);
