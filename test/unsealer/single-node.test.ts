import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, RbacAuthorizationV1Api, type V1PolicyRule } from '@kubernetes/client-node';
import { waitFor } from '../support/process.ts';
import { settle } from '../support/settle.ts';
import {
  events,
  kubeConfigWithUnsealerRbac,
  leaks,
  sample,
  storedKeys,
  waitUnsealed,
  type TestOperator,
  type TestOperatorOptions,
} from '../support/unsealer-cluster.ts';
import { UnsealerBed, type SingleNode } from '../support/unsealer-bed.ts';

const bed = UnsealerBed.for(test);
const { logs, operators, secrets } = bed;
let subnet = 10;

function singleNode(namespace: string): Promise<SingleNode> {
  return bed.singleNode(namespace, (subnet += 1));
}

function operatorFor(
  namespace: string,
  addressTemplate: string,
  extra: Partial<TestOperatorOptions> = {},
): TestOperator {
  return bed.operator({ namespace, addressTemplate, ...extra });
}

async function rememberSecrets(namespace: string): Promise<void> {
  const stored = await storedKeys(bed.plane.kubeConfig, namespace);
  if (stored !== undefined) secrets.push(...stored.keys, stored.rootToken);
}

test.serial('a fresh single node is initialized and unsealed, and the key Secret is created once', async (t) => {
  const namespace = 'fresh';
  const { vault, kubelet, template, ip } = await singleNode(namespace);
  const operator = operatorFor(namespace, template, { resyncMs: 500 });
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault);
  const status = await vault.sealStatus();
  t.true(status.initialized);
  t.is(status.t, 3);
  t.is(status.n, 5);
  const stored = await storedKeys(bed.plane.kubeConfig, namespace);
  t.truthy(stored);
  t.is(stored!.keys.length, 5);
  t.is(stored!.ownerReferences, 0, 'no owner reference: nothing can garbage-collect the keys');
  t.true(stored!.immutable);
  await rememberSecrets(namespace);
  // Several resyncs later the Secret is the same object, never rewritten.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.is((await storedKeys(bed.plane.kubeConfig, namespace))!.resourceVersion, stored!.resourceVersion);
  const metrics = await operator.metrics();
  t.is(sample(metrics, 'vault_unsealer_initializations_total'), 1);
  t.is(sample(metrics, 'vault_unsealer_unseal_attempts_total', 'result="success"'), 1);
  t.is(sample(metrics, 'vault_unsealer_sealed_pods'), 0);
  t.true(sample(metrics, 'vault_unsealer_last_successful_reconcile_timestamp_seconds') > Date.now() / 1000 - 60);
  t.is(sample(metrics, 'vault_unsealer_unseal_seconds_count'), 1);
  const reasons = (await events(bed.plane.kubeConfig, namespace)).map((event) => event.reason);
  t.true(reasons.includes('Initialized'));
  t.true(reasons.includes('Unsealed'));

  await operator.stop();
});

test.serial('a restarted Vault process is unsealed again as soon as the kubelet reports the restart', async (t) => {
  const namespace = 'vault-restart';
  const { vault, kubelet, template, ip } = await singleNode(namespace);
  // A resync far away: only the pod event can bring the unsealer back in time.
  const operator = operatorFor(namespace, template, { resyncMs: 600_000 });
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault);
  await rememberSecrets(namespace);
  const stored = await storedKeys(bed.plane.kubeConfig, namespace);
  await vault.restart();
  t.true((await vault.sealStatus()).sealed, 'a restarted server comes back sealed');
  const restarted = Date.now();
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault, 5000);
  t.log(`unsealed ${Date.now() - restarted} ms after the pod update`);
  const metrics = await operator.metrics();
  t.is(sample(metrics, 'vault_unsealer_unseal_attempts_total', 'result="success"'), 2);
  t.is(sample(metrics, 'vault_unsealer_initializations_total'), 1, 'never initialized again');
  t.is((await storedKeys(bed.plane.kubeConfig, namespace))!.resourceVersion, stored!.resourceVersion);
  t.is(operator.operator.status().pods['vault-0']?.state, 'unsealed');
  const unsealed = (await events(bed.plane.kubeConfig, namespace)).filter((event) => event.reason === 'Unsealed');
  t.deepEqual(
    unsealed.map((event) => event.count),
    [2],
    'a repeat bumps the count of one Event',
  );
  await operator.stop();
});

test.serial(
  'an operator stopped right after initializing never initializes again and its successor unseals',
  async (t) => {
    const namespace = 'restart';
    const { vault, kubelet, template, ip } = await singleNode(namespace);
    const initialized = Promise.withResolvers<undefined>();
    // The first replica dies between storing the keys and unsealing: its reconcile never returns.
    const first = operatorFor(namespace, template, {
      identity: 'unsealer-first',
      afterInitialize: () => {
        initialized.resolve(undefined);
        return new Promise<void>(() => {});
      },
    });
    await kubelet.markRunning('vault-0', ip);
    await initialized.promise;
    await first.operator.crash();
    const stored = await storedKeys(bed.plane.kubeConfig, namespace);
    t.truthy(stored, 'keys were stored before anything else happened');
    t.true((await vault.sealStatus()).sealed);
    t.true((await vault.sealStatus()).initialized);

    const second = operatorFor(namespace, template, { identity: 'unsealer-second' });
    await waitUnsealed(vault, 20_000);
    await rememberSecrets(namespace);
    t.is(sample(await second.metrics(), 'vault_unsealer_initializations_total'), 0);
    t.is((await storedKeys(bed.plane.kubeConfig, namespace))!.resourceVersion, stored!.resourceVersion);
    t.is((await events(bed.plane.kubeConfig, namespace)).filter((event) => event.reason === 'Initialized').length, 1);
    await second.stop();
  },
);

test.serial(
  'keys whose Secret cannot be created yet stay in memory, unseal Vault, and are stored once allowed',
  async (t) => {
    const namespace = 'no-create';
    const { vault, kubelet, template, ip } = await singleNode(namespace);
    const isSecretCreate = (rule: V1PolicyRule): boolean =>
      (rule.resources ?? []).includes('secrets') && (rule.verbs ?? []).includes('create');
    const unsealer = await kubeConfigWithUnsealerRbac(
      bed.plane.kubeConfig,
      bed.plane.server,
      bed.plane.caPem,
      { namespace },
      (rule) => !isSecretCreate(rule),
    );
    secrets.push(unsealer.token);
    const operator = operatorFor(namespace, template, { kubeConfig: unsealer.kubeConfig, resyncMs: 500 });
    await kubelet.markRunning('vault-0', ip);
    await waitUnsealed(vault);
    t.is(await storedKeys(bed.plane.kubeConfig, namespace), undefined, 'RBAC refused the Secret');
    t.true((await events(bed.plane.kubeConfig, namespace)).some((event) => event.reason === 'KeySecretNotStored'));
    // The missing permission arrives: the next reconcile stores the keys of the one initialization.
    const rbac = bed.plane.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'late-secret-create' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'late-secret-create' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'late-secret-create' },
        subjects: [{ kind: 'ServiceAccount', name: 'vault-unsealer', namespace }],
      },
    });
    const stored = await waitFor(async () => storedKeys(bed.plane.kubeConfig, namespace), {
      what: 'the key Secret',
      timeoutMs: 20_000,
    });
    await rememberSecrets(namespace);
    t.is(sample(await operator.metrics(), 'vault_unsealer_initializations_total'), 1);
    // The stored keys are the ones that open this Vault.
    await vault.restart();
    for (const key of stored.keys.slice(0, 3)) {
      await fetch(`${vault.address}/v1/sys/unseal`, { method: 'PUT', body: JSON.stringify({ key }) });
    }
    t.false((await vault.sealStatus()).sealed);
    await operator.stop();
  },
);

test.serial('a deliberately sealed pod is left sealed until the annotation goes', async (t) => {
  const namespace = 'deliberate';
  const { vault, kubelet, template, ip } = await singleNode(namespace);
  const operator = operatorFor(namespace, template, { resyncMs: 500 });
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault);
  await rememberSecrets(namespace);
  await kubelet.annotate('vault-0', { 'vault.content-factory.dev/sealed': 'true' });
  await vault.restart();
  await kubelet.markRunning('vault-0', ip);
  await waitFor(async () => operator.operator.status().pods['vault-0']?.state === 'deliberately-sealed', {
    what: 'the operator to notice the deliberate seal',
  });
  // Several resyncs and pod events later it is still sealed.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.true((await vault.sealStatus()).sealed);
  t.true((await events(bed.plane.kubeConfig, namespace)).some((event) => event.reason === 'DeliberatelySealed'));
  await kubelet.annotate('vault-0', { 'vault.content-factory.dev/sealed': null });
  const status = await settle(
    () => vault.sealStatus(),
    (seal) => !seal.sealed,
    { timeoutMs: 10_000 },
  );
  t.false(status.sealed, 'unsealed once the annotation is gone');
  await operator.stop();
});

test.serial('keys of another Vault give one UnsealKeysInsufficient Warning and no hot loop', async (t) => {
  const namespace = 'wrong-keys';
  const { vault, kubelet, template, ip } = await singleNode(namespace);
  // Vault initialized by someone else; the Secret holds keys of another Vault.
  const init = await fetch(`${vault.address}/v1/sys/init`, {
    method: 'PUT',
    body: JSON.stringify({ secret_shares: 5, secret_threshold: 3 }),
  });
  const real = (await init.json()) as { keys: string[]; root_token: string };
  secrets.push(...real.keys, real.root_token);
  const wrong = Array.from({ length: 5 }, () => randomBytes(33).toString('hex'));
  secrets.push(...wrong);
  const core = bed.plane.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'vault-unseal-keys' },
      stringData: Object.fromEntries([...wrong.map((key, index) => [`key-${index + 1}`, key]), ['threshold', '3']]),
    },
  });
  const operator = operatorFor(namespace, template, { resyncMs: 300 });
  await kubelet.markRunning('vault-0', ip);
  await waitFor(
    async () =>
      (await events(bed.plane.kubeConfig, namespace)).some((event) => event.reason === 'UnsealKeysInsufficient'),
    { what: 'the UnsealKeysInsufficient event' },
  );
  // Ten resync periods and a pod update later: still one search of the key set, one event.
  await kubelet.markRunning('vault-0', ip);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const metrics = await operator.metrics();
  t.is(sample(metrics, 'vault_unsealer_unseal_attempts_total', 'result="insufficient"'), 1);
  t.is(sample(metrics, 'vault_unsealer_unseal_attempts_total', 'result="success"'), 0);
  const warnings = (await events(bed.plane.kubeConfig, namespace)).filter((event) => event.type === 'Warning');
  t.deepEqual(
    warnings.map((event) => [event.reason, event.count]),
    [['UnsealKeysInsufficient', 1]],
  );
  t.true((await vault.sealStatus()).sealed);
  t.is(operator.operator.status().pods['vault-0']?.state, 'keys-insufficient');
  await operator.stop();
});

test.serial('a key Secret next to an uninitialized Vault stops initialization with a Warning', async (t) => {
  const namespace = 'drift';
  const { vault, kubelet, template, ip } = await singleNode(namespace);
  const core = bed.plane.kubeConfig.makeApiClient(CoreV1Api);
  const old = Array.from({ length: 5 }, () => randomBytes(33).toString('hex'));
  secrets.push(...old);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'vault-unseal-keys' },
      stringData: Object.fromEntries([...old.map((key, index) => [`key-${index + 1}`, key]), ['threshold', '3']]),
    },
  });
  const operator = operatorFor(namespace, template, { resyncMs: 300 });
  await kubelet.markRunning('vault-0', ip);
  await waitFor(
    async () =>
      (await events(bed.plane.kubeConfig, namespace)).some((event) => event.reason === 'KeySecretWithoutData'),
    { what: 'the KeySecretWithoutData event' },
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.false((await vault.sealStatus()).initialized, 'never initialized');
  t.is(sample(await operator.metrics(), 'vault_unsealer_initializations_total'), 0);
  t.is(operator.operator.status().pods['vault-0']?.state, 'keys-without-data');
  const warnings = (await events(bed.plane.kubeConfig, namespace)).filter((event) => event.type === 'Warning');
  t.is(warnings.length, 1);
  t.is(warnings[0]!.count, 1, 'reported once, not on every resync');
  await operator.stop();
});

test.serial(
  'shares split over three Secrets: none holds a threshold, and a restarted Vault is unsealed from them',
  async (t) => {
    const namespace = 'split';
    const { vault, kubelet, template, ip } = await singleNode(namespace);
    const operator = operatorFor(namespace, template, { resyncMs: 500, keySecrets: 3 });
    await kubelet.markRunning('vault-0', ip);
    await waitUnsealed(vault);
    const core = bed.plane.kubeConfig.makeApiClient(CoreV1Api);
    const parts = await Promise.all(
      [1, 2, 3].map((index) => core.readNamespacedSecret({ name: `vault-unseal-keys-${index}`, namespace })),
    );
    const shares = parts.map((secret) => Object.keys(secret.data ?? {}).filter((field) => field.startsWith('key-')));
    t.deepEqual(shares, [['key-1', 'key-4'], ['key-2', 'key-5'], ['key-3']]);
    t.true(parts.every((secret) => secret.immutable === true));
    for (const secret of parts) {
      for (const [field, value] of Object.entries(secret.data ?? {})) {
        if (field.startsWith('key-') || field === 'initial-root-token')
          secrets.push(Buffer.from(value, 'base64').toString());
      }
    }
    await t.throwsAsync(core.readNamespacedSecret({ name: 'vault-unseal-keys', namespace }), undefined, 'no whole set');
    await vault.restart();
    await kubelet.markRunning('vault-0', ip);
    await waitUnsealed(vault, 15_000);
    t.false((await vault.sealStatus()).sealed);
    await operator.stop();
  },
);

test.serial('no key or token appears in any log line, event or metric of these runs', async (t) => {
  t.true(secrets.length > 10);
  const haystacks = [...logs.lines];
  for (const namespace of [
    'fresh',
    'vault-restart',
    'restart',
    'no-create',
    'deliberate',
    'wrong-keys',
    'drift',
    'split',
  ]) {
    haystacks.push(JSON.stringify(await events(bed.plane.kubeConfig, namespace)));
  }
  for (const operator of operators) {
    haystacks.push(await operator.metrics(), JSON.stringify(operator.operator.status()));
  }
  t.true(logs.lines.length > 20, 'the operators did log');
  t.deepEqual(leaks(haystacks, secrets), []);
});
