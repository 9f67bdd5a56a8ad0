import test from 'ava';
import { DataTypes } from 'sequelize';
import { Database, StaticCredentials, VaultClient, VaultDatabaseCredentials, type Migration } from '@cf/kit';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { startVault, type VaultServer } from '../support/vault.ts';
import { startTogether } from '@cf/embedded/process';

let postgres: PostgresServer;
let vault: VaultServer;
let admin: VaultClient;

const migrations: Migration[] = [
  {
    name: '0001-create-events',
    async up({ queryInterface }) {
      await queryInterface.createTable('events', {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        worker: { type: DataTypes.INTEGER, allowNull: false },
      });
    },
  },
  {
    name: '0002-add-note',
    async up({ queryInterface }) {
      await queryInterface.addColumn('events', 'note', { type: DataTypes.TEXT });
    },
  },
];

/** Sets up what vault-unsealer will configure in a cluster: an owner role, the engine, one role per service. */
async function configureDatabaseEngine(role: string, ttl: string, maxTtl: string): Promise<void> {
  await admin.request('POST', `/database/roles/${role}`, {
    db_name: 'appdb',
    creation_statements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE app_owner;`,
    ],
    revocation_statements: [
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';`,
      `DROP ROLE IF EXISTS "{{name}}";`,
    ],
    default_ttl: ttl,
    max_ttl: maxTtl,
  });
}

test.before(async () => {
  [postgres, vault] = await startTogether([startPostgres(), startVault({ mode: 'dev' })]);
  await postgres.query('CREATE ROLE app_owner NOLOGIN');
  await postgres.query('CREATE DATABASE appdb OWNER app_owner');
  admin = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'token', token: vault.rootToken ?? '' },
  });
  await admin.request('POST', '/sys/mounts/database', { type: 'database' });
  await admin.request('POST', '/database/config/appdb', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${postgres.port}/appdb?sslmode=disable`,
    username: postgres.user,
    password: postgres.password,
    allowed_roles: ['steady', 'short'],
  });
  await configureDatabaseEngine('steady', '1h', '24h');
  await configureDatabaseEngine('short', '3s', '6s');
});

test.after.always(async () => {
  admin?.close();
  await Promise.all([postgres?.stop(), vault?.stop()]);
});

function openDatabase(credentials: VaultDatabaseCredentials | StaticCredentials): Database {
  return new Database({
    host: '127.0.0.1',
    port: postgres.port,
    database: 'appdb',
    credentials,
    ownerRole: 'app_owner',
    pool: { max: 4 },
  });
}

async function loginExists(name: string): Promise<boolean> {
  return (await postgres.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length > 0;
}

/** Runs `workers` loops of insert+select until `stop` resolves; returns successes and every failure. */
async function traffic(
  database: Database,
  workers: number,
  stop: Promise<unknown>,
): Promise<{ ok: number; failures: unknown[] }> {
  let running = true;
  void stop.then(() => {
    running = false;
  });
  let ok = 0;
  const failures: unknown[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (running) {
        try {
          await database.sequelize.query('INSERT INTO events (worker) VALUES ($1)', { bind: [worker] });
          await database.sequelize.query('SELECT count(*) FROM events');
          ok += 1;
        } catch (error) {
          failures.push(error);
        }
      }
    }),
  );
  return { ok, failures };
}

test('migrations apply in order once, and again is a no-op', async (t) => {
  const database = openDatabase(new StaticCredentials({ username: postgres.user, password: postgres.password }));
  t.teardown(() => database.close());
  await database.sequelize.query('DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS schema_migrations;');
  t.deepEqual(await database.migrate(migrations), ['0001-create-events', '0002-add-note']);
  t.deepEqual(await database.migrate(migrations), []);
  const [columns] = await database.sequelize.query(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'events' ORDER BY column_name",
  );
  t.deepEqual(
    (columns as { column_name: string }[]).map((c) => c.column_name),
    ['id', 'note', 'worker'],
  );
});

test.serial('the pool survives a forced credential rotation mid-traffic without a failed query', async (t) => {
  const credentials = new VaultDatabaseCredentials({ vault: admin, role: 'steady' });
  const database = openDatabase(credentials);
  t.teardown(() => database.close());
  await database.migrate(migrations);
  const first = (await credentials.current()).username;
  const { promise: stop, resolve: stopTraffic } = Promise.withResolvers<undefined>();
  const load = traffic(database, 6, stop);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const second = (await credentials.rotate()).username;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  stopTraffic(undefined);
  const { ok, failures } = await load;
  t.deepEqual(failures, []);
  t.true(ok > 50, `only ${ok} round trips`);
  t.not(first, second);
  const [[session]] = (await database.sequelize.query('SELECT session_user AS name')) as [[{ name: string }], unknown];
  t.is(session.name, second, 'new connections log in with the new credentials');
  t.false(await loginExists(first), 'the stale login was revoked in PostgreSQL once the pool let go of it');
  t.true(await loginExists(second));
});

test.serial('short leases are renewed, then rotated near their max TTL while queries keep working', async (t) => {
  const credentials = new VaultDatabaseCredentials({ vault: admin, role: 'short', rotateWithinSeconds: 2 });
  const database = openDatabase(credentials);
  t.teardown(() => database.close());
  await database.migrate(migrations);
  const first = (await credentials.current()).username;
  const seen = new Set<string>();
  const { promise: stop, resolve: stopTraffic } = Promise.withResolvers<undefined>();
  const load = traffic(database, 3, stop);
  const deadline = Date.now() + 9000;
  while (Date.now() < deadline) {
    seen.add((await credentials.current()).username);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stopTraffic(undefined);
  const { ok, failures } = await load;
  t.deepEqual(failures, []);
  t.true(ok > 50);
  t.true(seen.size >= 2, 'credentials rotated on their own');
  t.false(await loginExists(first));
});
