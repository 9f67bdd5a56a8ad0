import test from 'ava';
import pg from 'pg';
import { ns, postgres, services } from '../../charts-ts/src/platform.ts';
import { vaultConfiguration } from '../../charts-ts/src/vault-config.ts';
import { startPostgres } from '../support/postgres.ts';
import { both, find } from './objects.ts';

/** What Vault's database engine substitutes into the statements. */
function render(statement: string, values: { name: string; password: string; expiration: string }): string {
  return statement
    .replaceAll('{{name}}', values.name)
    .replaceAll('{{password}}', values.password)
    .replaceAll('{{expiration}}', values.expiration);
}

test("the database engine's statements work as Vault's own CREATEROLE login on a real PostgreSQL set up as the Cluster says", async (t) => {
  t.timeout(120_000);
  const engine = vaultConfiguration().secretEngines.find((e) => e.type === 'database');
  if (engine?.type !== 'database') return t.fail('no database engine');
  const { all } = both.find((x) => x.profile.name === 'prod')!;
  const initdb = (
    find(all, 'Cluster', postgres.cluster, ns.data)['spec'] as {
      bootstrap: { initdb: { owner: string; postInitSQL: string[] } };
    }
  ).bootstrap.initdb;
  const server = await startPostgres();
  try {
    // CloudNativePG's bootstrap: the owner login (its password in the `-app` Secret), then postInitSQL as superuser.
    const vaultPassword = `pw-${Math.random().toString(36).slice(2)}`;
    await server.query(`CREATE ROLE ${initdb.owner} LOGIN PASSWORD '${vaultPassword}'`);
    for (const statement of initdb.postInitSQL) await server.query(statement);
    const [vaultRole] = await server.query<{ rolsuper: boolean; rolcreaterole: boolean }>(
      'SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1',
      [initdb.owner],
    );
    t.deepEqual(vaultRole, { rolsuper: false, rolcreaterole: true });
    for (const s of services.filter((x) => x.database !== undefined)) {
      const owner = s.database!;
      const role = engine.roles.find((r) => r.name === s.name)!;
      // What the Database resource creates (the owner role exists from postInitSQL; the managed role adopts it).
      await server.query(`CREATE DATABASE ${owner} OWNER ${owner}`);
      const admin = new pg.Client({ ...server, user: initdb.owner, password: vaultPassword, database: owner });
      await admin.connect();
      const login = {
        name: `v-k8s-${s.name}-${Date.now()}`,
        password: `pw-${Math.random().toString(36).slice(2)}`,
        expiration: new Date(Date.now() + 3_600_000).toISOString(),
      };
      try {
        for (const statement of role.creationStatements) await admin.query(render(statement, login));
        const service = new pg.Client({ ...server, database: owner, user: login.name, password: login.password });
        await service.connect();
        try {
          const who = await service.query<{ current_user: string }>('SELECT current_user');
          t.is(who.rows[0]?.current_user, owner, 'a dynamic login acts as the owner role');
          await service.query('CREATE TABLE accounts (id integer PRIMARY KEY)');
        } finally {
          await service.end();
        }
        for (const statement of role.revocationStatements) await admin.query(render(statement, login));
        const left = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login.name]);
        t.is(left.rowCount, 0, 'the login is gone after revocation');
        const table = await admin.query<{ tableowner: string }>(
          "SELECT tableowner FROM pg_tables WHERE tablename = 'accounts'",
        );
        t.is(table.rows[0]?.tableowner, owner, 'tables outlive the login and belong to the service');
      } finally {
        await admin.end();
      }
    }
  } finally {
    await server.stop();
  }
});
