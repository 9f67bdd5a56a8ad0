import test from 'ava';
import { VAULT_CONFIG_KEY, VaultConfiguration } from '../../operators/vault-unsealer/src/vault-config.ts';
import { observabilityVaultAccess } from '../../charts-ts/src/charts/observability/vault-access.ts';
import { loggingVaultClients } from '../../charts-ts/src/charts/logging/chart.ts';
import { ns, services, unsealer } from '../../charts-ts/src/platform.ts';
import { both, find } from './objects.ts';

for (const { profile, all } of both) {
  const raw = (find(all, 'ConfigMap', unsealer.configMap, ns.vault)['data'] as Record<string, string>)[
    VAULT_CONFIG_KEY
  ]!;

  test(`${profile.name}: the Vault configuration ConfigMap passes vault-unsealer's own schema`, (t) => {
    const parsed = VaultConfiguration.safeParse(JSON.parse(raw));
    t.true(parsed.success, parsed.success ? '' : parsed.error.message);
  });

  test(`${profile.name}: Vault gets kv-v2, transit with the Telegram session key, and a database engine`, (t) => {
    const config = VaultConfiguration.parse(JSON.parse(raw));
    const engines = Object.fromEntries(config.secretEngines.map((e) => [e.type, e]));
    t.is(engines['kv-v2']?.path, 'secret');
    const transit = engines['transit'];
    t.deepEqual(transit?.type === 'transit' ? transit.keys.map((k) => k.name) : [], [
      'telegram-sessions',
      'two-factor-secrets',
    ]);
    const db = engines['database'];
    if (db?.type !== 'database') return t.fail('no database engine');
    const owners = services.filter((s) => s.database !== undefined);
    t.deepEqual(
      db.connections.map((c) => c.name),
      owners.map((s) => s.name),
    );
    for (const c of db.connections) {
      t.deepEqual(c.adminCredentialsSecret, {
        name: 'cf-postgres-app',
        namespace: ns.data,
        usernameKey: 'username',
        passwordKey: 'password',
      });
      t.deepEqual(c.allowedRoles, [c.name]);
      t.regex(c.connectionUrl, new RegExp(`/${services.find((s) => s.name === c.name)!.database}\\?`));
    }
    t.deepEqual(
      db.roles.map((r) => r.connection),
      owners.map((s) => s.name),
    );
  });

  test(`${profile.name}: kubernetes auth binds each Vault client's ServiceAccount with audience vault to its own policy`, (t) => {
    const config = VaultConfiguration.parse(JSON.parse(raw));
    // Besides these clients: the snapshot CronJob's role (test/unsealer/vault-backup-chart.test.ts).
    const roles = (config.auth.kubernetes?.roles ?? []).filter((r) => r.name !== 'vault-snapshot');
    // Our services in cf-apps, the monitoring stack's Grafana and Alertmanager, and the logging stack's init containers.
    const clients = [
      ...services.filter((s) => s.vault).map((s) => ({ role: s.name, serviceAccount: s.name, namespace: ns.apps })),
      ...loggingVaultClients,
      ...observabilityVaultAccess().roles.map((r) => ({
        role: r.name,
        serviceAccount: r.name,
        namespace: ns.observability,
      })),
    ];
    t.deepEqual(roles.map((r) => r.name).sort(), clients.map((c) => c.role).sort());
    for (const r of roles) {
      const client = clients.find((c) => c.role === r.name)!;
      t.deepEqual(r.serviceAccounts, [client.serviceAccount]);
      t.deepEqual(r.namespaces, [client.namespace]);
      t.deepEqual(r.policies, [r.name]);
      t.is(r.audience, 'vault');
    }
  });

  test(`${profile.name}: each service's policy names only its own paths, never sys/ beyond lease renewal`, (t) => {
    const config = VaultConfiguration.parse(JSON.parse(raw));
    for (const policy of config.policies.filter((p) => services.some((s) => s.name === p.name))) {
      const paths = [...policy.rules.matchAll(/path "([^"]+)"/g)].map((m) => m[1]!);
      t.true(paths.length > 0);
      for (const path of paths) {
        const others = services.filter((s) => s.name !== policy.name).map((s) => s.name);
        t.false(
          others.some((o) => path.includes(`/${o}`)),
          `${policy.name}: ${path}`,
        );
        t.false(path.includes('*') && !path.startsWith(`secret/`), `${policy.name}: wildcard ${path}`);
        if (path.startsWith('sys/')) t.is(path, 'sys/leases/renew');
      }
      t.notRegex(policy.rules, /"(sudo|delete|root)"/);
    }
    const integration = config.policies.find((p) => p.name === 'integration-service')!;
    t.regex(integration.rules, /transit\/encrypt\/telegram-sessions/);
    t.notRegex(integration.rules, /two-factor-secrets/);
    // user-service encrypts TOTP secrets (issue 18) with its own key, and only that one.
    const users = config.policies.find((p) => p.name === 'user-service')!;
    t.regex(users.rules, /transit\/decrypt\/two-factor-secrets/);
    t.notRegex(users.rules, /telegram-sessions/);
    const transitUsers = ['integration-service', 'user-service'];
    t.false(config.policies.some((p) => !transitUsers.includes(p.name) && p.rules.includes('transit/')));
  });
}
