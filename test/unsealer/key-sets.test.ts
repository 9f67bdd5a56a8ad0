import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { freePort, waitFor } from '../support/process.ts';
import {
  createNamespace,
  events,
  Kubelet,
  leaks,
  sample,
  waitUnsealed,
  type TestOperator,
} from '../support/unsealer-cluster.ts';
import { UnsealerBed } from '../support/unsealer-bed.ts';
import { apiServerRequests, countingVaultProxy, type CountingProxy } from '../support/unsealer-proxies.ts';
import { startVault, type VaultServer } from '../support/vault.ts';

// Key sets from which a threshold of working shares can or cannot be formed, against real OpenBao and the real
// API server. Vault calls are counted by a proxy the operator reaches Vault through; API calls by the API
// server's own apiserver_request_total.

const bed = UnsealerBed.for(test);
const { logs, operators, secrets } = bed;
let subnet = 70;

interface Case {
  namespace: string;
  vault: VaultServer;
  proxy: CountingProxy;
  /** The five real shares (threshold 3) of this Vault. */
  keys: string[];
  operator: TestOperator;
  setKeys(keys: string[]): Promise<void>;
}

/** A sealed, initialized Vault (5 shares, threshold 3) behind a counting proxy, pod Running, operator started. */
async function sealedVaultWith(namespace: string, keySet: (real: string[]) => string[]): Promise<Case> {
  // The cases run one after another and the API-call count is the API server's own (global): the operators of
  // finished cases stop first, so each case counts only its own operator's reads.
  await bed.stopOperators();
  subnet += 1;
  await createNamespace(bed.plane.kubeConfig, namespace);
  const vault = bed.track(await startVault({ mode: 'server', host: `127.0.${subnet}.101`, nodeId: 'vault-0' }));
  const port = await freePort();
  const proxy = bed.track(await countingVaultProxy(`127.0.${subnet}.1`, port, vault.address));
  const init = await fetch(`${vault.address}/v1/sys/init`, {
    method: 'PUT',
    body: JSON.stringify({ secret_shares: 5, secret_threshold: 3 }),
    signal: AbortSignal.timeout(30_000),
  });
  const real = (await init.json()) as { keys: string[]; root_token: string };
  secrets.push(...real.keys, real.root_token);
  const core = bed.plane.kubeConfig.makeApiClient(CoreV1Api);
  const setKeys = async (keys: string[]): Promise<void> => {
    await core.deleteNamespacedSecret({ name: 'vault-unseal-keys', namespace }).catch(() => undefined);
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'vault-unseal-keys' },
        stringData: Object.fromEntries([...keys.map((key, index) => [`key-${index + 1}`, key]), ['threshold', '3']]),
      },
    });
  };
  await setKeys(keySet(real.keys));
  const kubelet = new Kubelet(bed.plane.kubeConfig, namespace);
  await kubelet.createPod('vault-0');
  const operator = bed.operator({
    namespace,
    addressTemplate: `http://{podIP}:${port}`,
    resyncMs: 300,
    // Leadership is not under test here: a lease that survives a slow API server on a loaded machine.
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 1000,
  });
  await kubelet.markRunning('vault-0', `127.0.${subnet}.1`);
  return { namespace, vault, proxy, keys: real.keys, operator, setKeys };
}

const foreignShare = (): string => {
  const share = randomBytes(33).toString('hex');
  secrets.push(share);
  return share;
};

async function warnings(namespace: string): Promise<[string, number][]> {
  return (await events(bed.plane.kubeConfig, namespace))
    .filter((event) => event.type === 'Warning')
    .map((event) => [event.reason, event.count]);
}

/** Waits for the one Warning, then watches ten resync periods: Vault and API calls stay bounded. */
async function assertInsufficientWithoutLoop(t: ExecutionContext, testCase: Case): Promise<void> {
  const { namespace, proxy, operator, vault } = testCase;
  await waitFor(async () => (await warnings(namespace)).some(([reason]) => reason === 'UnsealKeysInsufficient'), {
    what: 'the UnsealKeysInsufficient Warning',
    timeoutMs: 60_000,
  });
  const unsealCalls = proxy.count('sys/unseal');
  const vaultCalls = proxy.total();
  const secretReads = await apiServerRequests(bed.plane.kubeConfig, 'secrets', 'GET');
  await new Promise((resolve) => setTimeout(resolve, 3000)); // ten resync periods of 300 ms
  const vaultCallsPerSecond = (proxy.total() - vaultCalls) / 3;
  const secretReadsPerSecond = ((await apiServerRequests(bed.plane.kubeConfig, 'secrets', 'GET')) - secretReads) / 3;
  t.is(proxy.count('sys/unseal'), unsealCalls, 'no share is submitted again while the Secret is unchanged');
  // One seal-status and one Secret read per resync (≈3.3/s) at most, never the ~20 and ~10 a second of a loop.
  t.true(vaultCallsPerSecond <= 5, `Vault calls per second while waiting: ${vaultCallsPerSecond}`);
  t.true(secretReadsPerSecond <= 5, `Secret reads per second while waiting: ${secretReadsPerSecond}`);
  t.deepEqual(await warnings(namespace), [['UnsealKeysInsufficient', 1]]);
  // A seal-status timeout on a loaded machine shows `unreachable` for a moment; the verdict comes back unchanged.
  const state = await waitFor(
    async () => {
      const current = operator.operator.status().pods['vault-0']?.state;
      return current === 'keys-insufficient' ? current : undefined;
    },
    { what: 'state keys-insufficient', timeoutMs: 10_000 },
  );
  t.is(state, 'keys-insufficient');
  const metrics = await operator.metrics();
  t.is(sample(metrics, 'vault_unsealer_unseal_attempts_total', 'result="insufficient"'), 1);
  t.is(sample(metrics, 'vault_unsealer_keys_insufficient_pods'), 1);
  t.true((await vault.sealStatus()).sealed);
}

test.serial(
  'fewer keys than the threshold: one Warning, a clear state and metric, no share sent, no loop',
  async (t) => {
    const testCase = await sealedVaultWith('fewer', (real) => real.slice(0, 2));
    await assertInsufficientWithoutLoop(t, testCase);
    t.is(testCase.proxy.count('sys/unseal'), 0, 'two shares cannot reach a threshold of three: nothing is sent');
    const message = (await events(bed.plane.kubeConfig, 'fewer')).find((event) => event.type === 'Warning')!.message;
    t.regex(message, /only 2 distinct well-formed shares.*threshold 3/);
  },
);

test.serial('a changed key Secret ends the wait: the new keys unseal at once', async (t) => {
  const testCase = await sealedVaultWith('changed', (real) => real.slice(0, 1));
  await waitFor(async () => (await warnings('changed')).length > 0, { what: 'the Warning' });
  await testCase.setKeys(testCase.keys);
  await waitUnsealed(testCase.vault, 10_000);
  t.false((await testCase.vault.sealStatus()).sealed);
  await waitFor(async () => testCase.operator.operator.status().pods['vault-0']?.state === 'unsealed', {
    what: 'state unsealed',
  });
  t.is(sample(await testCase.operator.metrics(), 'vault_unsealer_keys_insufficient_pods'), 0);
});

test.serial('a malformed share listed first is skipped and the five valid shares after it unseal', async (t) => {
  const testCase = await sealedVaultWith('malformed-first', (real) => ['not-a-share!', ...real]);
  await waitUnsealed(testCase.vault, 30_000);
  t.false((await testCase.vault.sealStatus()).sealed);
  t.is(testCase.proxy.count('sys/unseal'), 3, 'the malformed entry never reaches Vault; three valid shares do');
  t.deepEqual(await warnings('malformed-first'), []);
});

test.serial('a foreign share listed first is skipped and the five valid shares after it unseal', async (t) => {
  const testCase = await sealedVaultWith('foreign-first', (real) => [foreignShare(), ...real]);
  await waitUnsealed(testCase.vault, 30_000);
  t.false((await testCase.vault.sealStatus()).sealed);
  // Sets {0,1,2} {0,1,3} {0,2,3} are refused (they hold the foreign share), {1,2,3} opens: 12 shares sent.
  t.true(testCase.proxy.count('sys/unseal') <= 12, `sys/unseal calls: ${testCase.proxy.count('sys/unseal')}`);
  t.deepEqual(await warnings('foreign-first'), []);
  t.is(sample(await testCase.operator.metrics(), 'vault_unsealer_unseal_attempts_total', 'result="success"'), 1);
});

test.serial('repeated shares count once: two distinct shares listed five times end in one Warning', async (t) => {
  const testCase = await sealedVaultWith('duplicates', (real) => [real[0]!, real[0]!, real[1]!, real[1]!, real[0]!]);
  await assertInsufficientWithoutLoop(t, testCase);
  t.is(testCase.proxy.count('sys/unseal'), 0);
});

test.serial('only foreign shares: every set is tried once, then one Warning and a wait', async (t) => {
  const testCase = await sealedVaultWith('all-foreign', () => [foreignShare(), foreignShare(), foreignShare()]);
  await assertInsufficientWithoutLoop(t, testCase);
  t.is(testCase.proxy.count('sys/unseal'), 3, 'C(3,3) = 1 set of three shares');
});

test.serial('no key or token appears in any log line, event or metric of these runs', async (t) => {
  const haystacks = [...logs.lines];
  for (const namespace of ['fewer', 'changed', 'malformed-first', 'foreign-first', 'duplicates', 'all-foreign']) {
    haystacks.push(JSON.stringify(await events(bed.plane.kubeConfig, namespace)));
  }
  for (const operator of operators)
    haystacks.push(await operator.metrics(), JSON.stringify(operator.operator.status()));
  t.true(secrets.length > 20);
  t.deepEqual(leaks(haystacks, secrets), []);
});
