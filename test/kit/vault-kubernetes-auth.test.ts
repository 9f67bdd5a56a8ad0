import test from 'ava';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { VaultClient, VaultPermissionError } from '@cf/kit';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { startVault, type VaultServer } from '../support/vault.ts';
import { startTogether } from '@cf/embedded/process';

let plane: ControlPlane;
let vault: VaultServer;
let core: CoreV1Api;
const namespace = 'cf-apps';

/** Tokens for Vault carry the `vault` audience; the reviewer's own token is for the API server (no audience). */
async function serviceAccountToken(name: string, audiences: string[] = ['vault']): Promise<string> {
  const response = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { ...(audiences.length > 0 ? { audiences } : {}), expirationSeconds: 3600 } },
  });
  return response.status?.token ?? '';
}

test.before(async () => {
  [plane, vault] = await startTogether([startControlPlane(), startVault({ mode: 'dev' })]);
  core = plane.kubeConfig.makeApiClient(CoreV1Api);
  const rbac = plane.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const name of ['vault-reviewer', 'user-service', 'intruder']) {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  }
  // Vault checks tokens with a TokenReview, which needs system:auth-delegator.
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'vault-reviewer-auth-delegator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'vault-reviewer', namespace }],
    },
  });
  const admin = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'token', token: vault.rootToken ?? '' },
  });
  await admin.request('POST', '/sys/auth/kubernetes', { type: 'kubernetes' });
  await admin.request('POST', '/auth/kubernetes/config', {
    kubernetes_host: plane.server,
    kubernetes_ca_cert: plane.caPem,
    token_reviewer_jwt: await serviceAccountToken('vault-reviewer', []),
    disable_local_ca_jwt: true,
  });
  await admin.request('PUT', '/sys/policies/acl/user-service', {
    policy: 'path "secret/data/user-service/*" { capabilities = ["read", "create", "update"] }',
  });
  await admin.request('POST', '/auth/kubernetes/role/user-service', {
    bound_service_account_names: ['user-service'],
    bound_service_account_namespaces: [namespace],
    audience: 'vault',
    token_policies: ['user-service'],
    token_ttl: '1h',
  });
  await admin.kvWrite('secret', 'user-service/signing-key', { kid: 'k1' });
  await admin.kvWrite('secret', 'integration-service/telegram', { apiHash: 'not yours' });
  admin.close();
});

test.after.always(async () => {
  await Promise.all([plane?.stop(), vault?.stop()]);
});

test('a ServiceAccount token from the API server logs into Vault and reads its own secrets', async (t) => {
  const client = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'kubernetes', role: 'user-service', jwt: () => serviceAccountToken('user-service') },
  });
  t.teardown(() => client.close());
  t.deepEqual((await client.kvRead('secret', 'user-service/signing-key'))?.data, { kid: 'k1' });
});

test('the policy bound to the role keeps a service out of other services’ secrets', async (t) => {
  const client = await VaultClient.connect({
    endpoint: vault.address,
    auth: { method: 'kubernetes', role: 'user-service', jwt: await serviceAccountToken('user-service') },
  });
  t.teardown(() => client.close());
  await t.throwsAsync(client.kvRead('secret', 'integration-service/telegram'), { instanceOf: VaultPermissionError });
});

test('a token of another ServiceAccount is refused by the role', async (t) => {
  await t.throwsAsync(
    VaultClient.connect({
      endpoint: vault.address,
      auth: { method: 'kubernetes', role: 'user-service', jwt: await serviceAccountToken('intruder') },
    }),
    { instanceOf: VaultPermissionError },
  );
});

test('a forged token is refused', async (t) => {
  const real = await serviceAccountToken('user-service');
  const [header, payload] = real.split('.');
  await t.throwsAsync(
    VaultClient.connect({
      endpoint: vault.address,
      auth: { method: 'kubernetes', role: 'user-service', jwt: `${header}.${payload}.AAAA` },
    }),
    { instanceOf: VaultPermissionError },
  );
});
