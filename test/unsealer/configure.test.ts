import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import pg from 'pg';
import { VaultClient, VaultPermissionError } from '@cf/kit';
import { secretReferences, unsealerRoles, VaultConfiguration, type VaultConfigurationInput } from '@cf/vault-unsealer';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { startPostgres, type PostgresServer } from '../support/postgres.ts';
import { scratchDir, startTogether, waitFor } from '../support/process.ts';
import { settle } from '../support/settle.ts';
import {
  createNamespace,
  kubeConfigWithUnsealerRbac,
  events,
  Kubelet,
  leaks,
  LogCapture,
  sample,
  serviceAccountToken,
  startVaultPods,
  storedKeys,
  waitUnsealed,
  type TestOperator,
} from '../support/unsealer-cluster.ts';
import type { VaultServer } from '../support/vault.ts';
import {
  firstConfigurationPass,
  outOfClusterKubernetesAuth,
  startConfiguringOperator,
  storeReviewerToken,
} from './out-of-cluster-vault.ts';

const namespace = 'cf-vault';
let plane: ControlPlane;
let postgres: PostgresServer;
let vault: VaultServer;
let operator: TestOperator;
const logs = new LogCapture();
const secrets: string[] = [];

const userServicePolicy = `path "database/creds/user-service" { capabilities = ["read"] }
path "secret/data/user-service/*" { capabilities = ["read", "create", "update"] }
path "transit/encrypt/telegram-sessions" { capabilities = ["update"] }
path "transit/decrypt/telegram-sessions" { capabilities = ["update"] }
`;

function configuration(): VaultConfigurationInput {
  return {
    secretEngines: [
      { type: 'kv-v2', path: 'secret' },
      { type: 'transit', path: 'transit', keys: [{ name: 'telegram-sessions' }] },
      {
        type: 'database',
        path: 'database',
        connections: [
          {
            name: 'appdb',
            plugin: 'postgresql-database-plugin',
            connectionUrl: `postgresql://{{username}}:{{password}}@127.0.0.1:${postgres.port}/appdb?sslmode=disable`,
            adminCredentialsSecret: { name: 'appdb-superuser', namespace: 'cf-data' },
            allowedRoles: ['user-service'],
          },
        ],
        roles: [
          {
            name: 'user-service',
            connection: 'appdb',
            creationStatements: [
              `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE app_owner;`,
            ],
            revocationStatements: [`DROP ROLE IF EXISTS "{{name}}";`],
            defaultTtl: '1h',
            maxTtl: '24h',
          },
        ],
      },
    ],
    auth: {
      kubernetes: outOfClusterKubernetesAuth(plane, [
        {
          name: 'user-service',
          serviceAccounts: ['user-service'],
          namespaces: ['cf-apps'],
          policies: ['user-service'],
        },
      ]),
    },
    policies: [{ name: 'user-service', rules: userServicePolicy }],
  };
}

test.before(async () => {
  [plane, postgres] = await startTogether([startControlPlane(), startPostgres()]);
  const pods = await startVaultPods(1, 40);
  vault = pods.servers[0]!;
  secrets.push(postgres.password);
  await postgres.query('CREATE ROLE app_owner NOLOGIN');
  await postgres.query('CREATE DATABASE appdb OWNER app_owner');
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  await createNamespace(plane.kubeConfig, namespace);
  for (const name of ['cf-data', 'cf-apps']) await core.createNamespace({ body: { metadata: { name } } });
  await core.createNamespacedServiceAccount({ namespace: 'cf-apps', body: { metadata: { name: 'user-service' } } });
  // CloudNativePG's superuser Secret lives with the database, not with Vault.
  await core.createNamespacedSecret({
    namespace: 'cf-data',
    body: {
      metadata: { name: 'appdb-superuser' },
      stringData: { username: postgres.user, password: postgres.password },
    },
  });
  // Vault runs outside the cluster here, so it needs the API server's CA and a reviewer token.
  secrets.push(await storeReviewerToken(plane, namespace));
  const configFile = join(scratchDir('unsealer-config'), 'vault-config.json');
  writeFileSync(configFile, JSON.stringify(configuration()));
  const kubelet = new Kubelet(plane.kubeConfig, namespace);
  await kubelet.createPod('vault-0');
  // The operator runs as its ServiceAccount with exactly the Roles the README documents.
  const config = VaultConfiguration.parse(configuration());
  const unsealer = await kubeConfigWithUnsealerRbac(plane.kubeConfig, plane.server, plane.caPem, {
    namespace,
    secrets: secretReferences(config),
  });
  secrets.push(unsealer.token);
  operator = startConfiguringOperator({
    plane,
    kubeConfig: unsealer.kubeConfig,
    namespace,
    pods,
    logs,
    configFile,
    secrets,
  });
  await kubelet.markRunning('vault-0', pods.ip(0));
  await waitUnsealed(vault);
  await firstConfigurationPass(operator, 60_000);
  const stored = await storedKeys(plane.kubeConfig, namespace);
  secrets.push(...stored!.keys, stored!.rootToken);
});

test.after.always(async () => {
  await operator?.stop();
  await Promise.allSettled([vault?.stop(), postgres?.stop()]);
  await plane?.stop();
});

test.serial('the documented RBAC is all the operator needs and grants nothing more', async (t) => {
  const warnings = (await events(plane.kubeConfig, namespace)).filter((event) => event.type === 'Warning');
  t.deepEqual(warnings, []);
  t.false(
    logs.lines.some((line) => line.includes('forbidden')),
    'no call was refused',
  );
  // The roles name exactly: pods, events, its Lease, its key Secret, the configuration's Secrets.
  const roles = unsealerRoles({ namespace, secrets: secretReferences(VaultConfiguration.parse(configuration())) });
  t.deepEqual(
    roles.map((role) => role.metadata?.namespace),
    [namespace, 'cf-data'],
  );
  t.deepEqual(roles[1]?.rules, [
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['appdb-superuser'], verbs: ['get'] },
  ]);
});

test.serial('Vault is configured from code and the initial root token is revoked afterwards', async (t) => {
  const stored = await storedKeys(plane.kubeConfig, namespace);
  await t.throwsAsync(
    VaultClient.connect({ endpoint: vault.address, auth: { method: 'token', token: stored!.rootToken } }),
    { instanceOf: VaultPermissionError },
    'no root token is left anywhere',
  );
  const configured = (await events(plane.kubeConfig, namespace)).filter((event) => event.reason === 'Configured');
  t.is(configured.length, 1);
  t.is(operator.operator.status().pods['vault-0']?.state, 'unsealed');
});

test.serial(
  'a ServiceAccount token logs into Vault through the configured role and gets working database credentials',
  async (t) => {
    const jwt = await serviceAccountToken(plane.kubeConfig, 'cf-apps', 'user-service');
    secrets.push(jwt);
    const client = await VaultClient.connect({
      endpoint: vault.address,
      auth: { method: 'kubernetes', role: 'user-service', jwt },
    });
    t.teardown(() => client.close());
    const lease = await client.databaseCredentials('user-service');
    secrets.push(lease.password);
    const connection = new pg.Client({
      host: '127.0.0.1',
      port: postgres.port,
      database: 'appdb',
      user: lease.username,
      password: lease.password,
    });
    await connection.connect();
    t.teardown(() => connection.end());
    const result = await connection.query<{ user: string; owner: boolean }>(
      "SELECT current_user AS user, pg_has_role(current_user, 'app_owner', 'MEMBER') AS owner",
    );
    t.is(result.rows[0]?.user, lease.username);
    t.true(result.rows[0]?.owner);
    // The transit key exists and the policy lets the service use it; KV v2 is mounted.
    const ciphertext = await client.transitEncrypt('telegram-sessions', 'session string');
    t.is((await client.transitDecrypt('telegram-sessions', ciphertext)).toString(), 'session string');
    await client.kvWrite('secret', 'user-service/example', { value: 1 });
    await t.throwsAsync(client.databaseCredentials('other'), { instanceOf: VaultPermissionError });
  },
);

test.serial('configuration applied again is a no-op', async (t) => {
  const before = await operator.metrics();
  const unchanged = sample(before, 'vault_unsealer_configuration_applies_total', 'result="unchanged"');
  await waitFor(
    async () =>
      sample(await operator.metrics(), 'vault_unsealer_configuration_applies_total', 'result="unchanged"') >=
      unchanged + 2,
    { what: 'two more configuration passes', timeoutMs: 15_000 },
  );
  const after = await operator.metrics();
  t.is(
    sample(after, 'vault_unsealer_configuration_changes_total'),
    sample(before, 'vault_unsealer_configuration_changes_total'),
  );
  t.is(sample(after, 'vault_unsealer_configuration_applies_total', 'result="error"'), 0);
  t.is((await events(plane.kubeConfig, namespace)).filter((event) => event.reason === 'Configured').length, 1);
});

test.serial('drift is corrected on the next resync', async (t) => {
  // Someone with policy rights widens the service's policy by hand.
  const jwt = await serviceAccountToken(plane.kubeConfig, namespace, 'vault-unsealer');
  const admin = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'kubernetes', role: 'vault-unsealer', jwt },
  });
  t.teardown(() => admin.close());
  await admin.request('PUT', '/sys/policies/acl/user-service', { policy: 'path "*" { capabilities = ["sudo"] }' });
  const restored = await settle(
    async () => (await admin.request<{ policy: string }>('GET', '/sys/policies/acl/user-service')).data?.policy.trim(),
    (policy) => policy === userServicePolicy.trim(),
    { timeoutMs: 10_000 },
  );
  t.is(restored, userServicePolicy.trim(), 'the hand-widened policy is restored');
});

test.serial('no key, token or password appears in any log line, event or metric', async (t) => {
  const haystacks = [...logs.lines, await operator.metrics(), JSON.stringify(operator.operator.status())];
  for (const where of [namespace, 'cf-data', 'cf-apps'])
    haystacks.push(JSON.stringify(await events(plane.kubeConfig, where)));
  t.true(secrets.length >= 8);
  t.deepEqual(leaks(haystacks, secrets), []);
});
