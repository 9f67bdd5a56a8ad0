// One npm start, several questions about how it runs its data components.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { scratchDir } from '../support/process.ts';
import { api, captchaFor, readyOnFreeRange, superuser, type NpmStart } from './fixture.ts';

const state = scratchDir('npm-start-vault');
let port = 0;
let run: NpmStart | undefined;
let output = '';

const started: NpmStart[] = [];

test.before(async () => {
  ({ port, run, output } = await readyOnFreeRange(state, {}, (start) => started.push(start)));
  // Traffic, so each service has opened its database pool.
  await api(port, 'POST', '/auth/register', {
    body: { email: 'pool@example.org', password: 'opens the pools', captcha: await captchaFor(port) },
  });
});

test.after.always(async () => {
  await run?.interrupt();
  for (const start of started) start.kill();
});

async function query<Row extends Record<string, unknown>>(database: string, sql: string): Promise<Row[]> {
  const client = new pg.Client(superuser(state, port, database));
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

test("npm start's PostgreSQL runs with durable settings (fsync, full-page writes, synchronous commit)", async (t) => {
  const rows = await query<{ name: string; setting: string }>(
    'postgres',
    `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'full_page_writes', 'synchronous_commit')`,
  );
  t.deepEqual(Object.fromEntries(rows.map((row) => [row.name, row.setting])), {
    fsync: 'on',
    full_page_writes: 'on',
    synchronous_commit: 'on',
  });
});

test("the services log in to PostgreSQL with short-lived logins from Vault's database engine", async (t) => {
  // Besides the services, only Vault itself is connected: as the admin login it creates the others with.
  const sessions = (
    await query<{ usename: string; datname: string; valuntil: Date | null }>(
      'postgres',
      `SELECT a.usename, a.datname, r.rolvaliduntil AS valuntil FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename
        WHERE a.datname IN ('user_service', 'integration_service')`,
    )
  ).filter((session) => session.usename !== 'postgres');
  t.true(
    sessions.some((s) => s.datname === 'user_service') && sessions.some((s) => s.datname === 'integration_service'),
    'both services are connected',
  );
  for (const session of sessions) {
    t.regex(session.usename, /^v-/, `${session.datname} is reached by ${session.usename}`);
    t.truthy(session.valuntil, 'the login expires');
  }
  const owners = await query<{ relname: string; owner: string }>(
    'user_service',
    `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'`,
  );
  t.true(owners.length > 0);
  t.deepEqual([...new Set(owners.map((row) => row.owner))], ['user_service'], 'tables belong to the owner role');
});

test('api-gateway counts its rate limits in its own database, in a table its owner role owns', async (t) => {
  const tables = await query<{ owner: string }>(
    'api_gateway',
    `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'rate_limits' AND relkind = 'r'`,
  );
  t.deepEqual(tables, [{ owner: 'api_gateway' }], 'created by a Vault login that SET ROLEs to api_gateway');
  const counted = await query<{ key: string }>('api_gateway', `SELECT key FROM rate_limits WHERE key LIKE 'ip:%'`);
  t.true(counted.length > 0, 'the registration before this test was counted there');
});

test('with Vault on, no development-only key file is written and the table says server mode', (t) => {
  t.false(existsSync(join(state, 'user-service-keys.json')));
  t.false(existsSync(join(state, 'integration-service-session.key')));
  t.regex(output, /^\s+Vault\s+http:\/\/127\.0\.0\.1:\d+\s+server mode, raft in /m);
});
