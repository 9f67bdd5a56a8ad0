import test from 'ava';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { createLogger } from '@cf/kit';
import { Housekeeping, type HousekeepingSettings } from '../../services/user-service/src/housekeeping.ts';
import { addresses, registerAccount, startUserServiceFixture, type UserServiceFixture } from './fixture.ts';

// The deletion of ended rows and old audit events (src/housekeeping.ts) against a real PostgreSQL. Serial: every
// test starts from empty tables and counts what a round deleted.
let f: UserServiceFixture;
let userId: string;
const nextIp = addresses('10.41');
const TABLES = [
  'login_steps',
  'webauthn_challenges',
  'captcha_answers',
  'action_tokens',
  'sessions',
  'refresh_tokens',
  'rate_limits',
  'audit_events',
] as const;

function sql<Row extends object>(query: string, bind: unknown[] = []): Promise<Row[]> {
  return f.service.store.sequelize.query<Row>(query, { bind, type: QueryTypes.SELECT });
}

async function exec(query: string, bind: unknown[] = []): Promise<void> {
  await f.service.store.sequelize.query(query, { bind });
}

/** A second housekeeper on the same database, as another replica would run. */
function replica(settings: Partial<HousekeepingSettings> = {}): Housekeeping {
  return new Housekeeping(
    f.service.store.sequelize,
    { intervalSeconds: 3600, auditRetentionDays: 400, ...settings },
    createLogger({ name: 'housekeeping-test', level: 'fatal' }),
  );
}

async function remaining(table: string, key: string): Promise<string[]> {
  const rows = await sql<{ key: string }>(`SELECT ${key}::text AS key FROM ${table} ORDER BY 1`);
  return rows.map((row) => row.key);
}

async function expiredCaptchaAnswers(count: number): Promise<void> {
  await exec(
    `INSERT INTO captcha_answers (id, expires_at)
     SELECT 'old-' || n, now() - interval '1 minute' FROM generate_series(1, $1) n`,
    [count],
  );
}

test.before(async () => {
  f = await startUserServiceFixture();
  userId = (await registerAccount(f.url, nextIp(), `house-${randomUUID().slice(0, 8)}@example.org`, randomUUID()))
    .userId;
});

test.after.always(async () => {
  await f?.stop();
});

test.beforeEach(async () => {
  await exec(`TRUNCATE ${TABLES.join(', ')}`);
});

test.serial('a round deletes the ended rows of every table and keeps the live ones', async (t) => {
  const [endedStep, liveStep, endedLink, liveLink] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await exec(
    `INSERT INTO login_steps (id, user_id, token_hash, expires_at)
     VALUES ($1, $3, 'h', now() - interval '2 days'), ($2, $3, 'h', now() + interval '5 minutes')`,
    [endedStep, liveStep, userId],
  );
  await exec(
    `INSERT INTO webauthn_challenges (challenge, purpose, expires_at)
     VALUES ('ended', 'passwordless', now() - interval '1 minute'), ('live', 'passwordless', now() + interval '1 minute')`,
  );
  await exec(
    `INSERT INTO captcha_answers (id, expires_at)
     VALUES ('ended', now() - interval '1 minute'), ('live', now() + interval '1 minute')`,
  );
  await exec(
    `INSERT INTO action_tokens (id, user_id, purpose, email, token_hash, kid, expires_at)
     VALUES ($1, $3, 'verify-email', 'a@example.org', 'h', 'k', now() - interval '2 days'),
            ($2, $3, 'verify-email', 'a@example.org', 'h', 'k', now() + interval '1 hour')`,
    [endedLink, liveLink, userId],
  );
  await exec(`INSERT INTO rate_limits (key, points, expire) VALUES ('ended', 3, $1), ('live', 3, $2)`, [
    Date.now() - 60_000,
    Date.now() + 600_000,
  ]);

  const round = await f.service.housekeeping.round();

  t.deepEqual(round, {
    deleted: {
      login_steps: 1,
      webauthn_challenges: 1,
      captcha_answers: 1,
      action_tokens: 1,
      sessions: 0,
      refresh_tokens: 0,
      rate_limits: 1,
      audit_events: 0,
    },
    yielded: false,
  });
  t.deepEqual(await remaining('login_steps', 'id'), [liveStep]);
  t.deepEqual(await remaining('webauthn_challenges', 'challenge'), ['live']);
  t.deepEqual(await remaining('captcha_answers', 'id'), ['live']);
  t.deepEqual(await remaining('action_tokens', 'id'), [liveLink]);
  t.deepEqual(await remaining('rate_limits', 'key'), ['live']);
  const metrics = await (await fetch(`${f.url}/metrics`)).text();
  t.regex(metrics, /user_housekeeping_deleted_rows_total\{table="captcha_answers"[^}]*\} 1$/m);
});

test.serial('a login step or link that ended less than a day ago is kept, so it still reads as expired', async (t) => {
  const step = randomUUID();
  await exec(
    `INSERT INTO login_steps (id, user_id, token_hash, expires_at) VALUES ($1, $2, 'h', now() - interval '1 hour')`,
    [step, userId],
  );

  await f.service.housekeeping.round();

  t.deepEqual(await remaining('login_steps', 'id'), [step]);
});

/** A session of the fixture's user ended (or not) as `ended` says, with one refresh token expiring at `tokenExpires`. */
async function session(ended: string, tokenExpires = "now() + interval '30 days'"): Promise<string> {
  const id = randomUUID();
  await exec(
    `INSERT INTO sessions (id, user_id, expires_at, revoked_at) SELECT $1, $2, e, r FROM (SELECT ${ended}) AS s(e, r)`,
    [id, userId],
  );
  await exec(`INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, ${tokenExpires})`, [
    `hash-${id}`,
    id,
  ]);
  return id;
}

test.serial('a session that expired or was revoked over a day ago goes with its refresh tokens', async (t) => {
  await session(`now() - interval '2 days', NULL::timestamptz`);
  await session(`now() + interval '20 days', now() - interval '2 days'`);
  const live = await session(`now() + interval '20 days', NULL::timestamptz`);

  const round = await f.service.housekeeping.round();

  t.is(round.deleted.sessions, 2);
  t.deepEqual(await remaining('sessions', 'id'), [live]);
  t.deepEqual(await remaining('refresh_tokens', 'token_hash'), [`hash-${live}`]);
});

test.serial('a session that ended less than a day ago is kept, so its tokens still read as ended', async (t) => {
  const expired = await session(`now() - interval '1 hour', NULL::timestamptz`);
  const revoked = await session(`now() + interval '20 days', now() - interval '1 hour'`);

  await f.service.housekeeping.round();

  t.deepEqual(await remaining('sessions', 'id'), [expired, revoked].sort());
});

test.serial('a live session’s refresh tokens past their expiry go and the session stays', async (t) => {
  const live = await session(`now() + interval '20 days', NULL::timestamptz`, `now() - interval '2 days'`);
  await exec(
    `INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ('fresh', $1, now() + interval '1 day')`,
    [live],
  );

  const round = await f.service.housekeeping.round();

  t.is(round.deleted.refresh_tokens, 1);
  t.deepEqual(await remaining('sessions', 'id'), [live]);
  t.deepEqual(await remaining('refresh_tokens', 'token_hash'), ['fresh']);
});

test.serial('audit events older than the retention are deleted and newer ones kept', async (t) => {
  const [old, recent] = [randomUUID(), randomUUID()];
  await exec(
    `INSERT INTO audit_events (id, at, event) VALUES ($1, now() - interval '401 days', 'login.success'),
                                                     ($2, now() - interval '399 days', 'login.success')`,
    [old, recent],
  );

  const round = await replica({ auditRetentionDays: 400 }).round();

  t.is(round.deleted.audit_events, 1);
  t.deepEqual(await remaining('audit_events', 'id'), [recent]);
});

test.serial('a round deletes at most its cap and the next round goes on', async (t) => {
  await expiredCaptchaAnswers(7);
  const housekeeper = replica({ batchSize: 2, maxRowsPerRound: 5 });

  const first = await housekeeper.round();
  t.is(first.deleted.captcha_answers, 5);
  t.is((await remaining('captcha_answers', 'id')).length, 2);

  const second = await housekeeper.round();
  t.is(second.deleted.captcha_answers, 2);
  t.deepEqual(await remaining('captcha_answers', 'id'), []);
});

test.serial('two replicas running a round at once delete each row once and neither fails', async (t) => {
  await expiredCaptchaAnswers(300);
  await exec(`INSERT INTO rate_limits (key, points, expire) SELECT 'old-' || n, 1, $1 FROM generate_series(1, 120) n`, [
    Date.now() - 60_000,
  ]);
  const [one, two] = [replica({ batchSize: 10 }), replica({ batchSize: 10 })];

  const rounds = await Promise.all([one.round(), two.round()]);

  t.is(rounds[0].deleted.captcha_answers + rounds[1].deleted.captcha_answers, 300);
  t.is(rounds[0].deleted.rate_limits + rounds[1].deleted.rate_limits, 120);
  t.deepEqual(await remaining('captcha_answers', 'id'), []);
  t.deepEqual(await remaining('rate_limits', 'key'), []);
});

test.serial('stopping waits for the round in flight, which ends after its current batch', async (t) => {
  await expiredCaptchaAnswers(50);
  const housekeeper = replica({ batchSize: 1 });
  housekeeper.start();
  let ended = false;
  const running = housekeeper.round().finally(() => {
    ended = true;
  });

  await housekeeper.stop();

  t.true(ended);
  t.true((await running).deleted.captcha_answers < 50);
});
