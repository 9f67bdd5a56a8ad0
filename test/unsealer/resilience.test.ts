import test from 'ava';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { waitFor } from '../support/process.ts';
import { events, sample, waitUnsealed, type TestOperator } from '../support/unsealer-cluster.ts';
import { UnsealerBed } from '../support/unsealer-bed.ts';

const bed = UnsealerBed.for(test);

test.serial('a dropped watch and a restarted API server are survived: the next restart is unsealed', async (t) => {
  const namespace = 'api-restart';
  const { vault, kubelet, template, ip } = await bed.singleNode(namespace, 30);
  // No resync in sight and a lease that outlives the API server's restart: recovery must come from the watch.
  const operator = bed.operator({
    namespace,
    addressTemplate: template,
    resyncMs: 600_000,
    leaseDurationMs: 60_000,
    renewDeadlineMs: 45_000,
    retryPeriodMs: 1000,
  });
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault);
  await bed.plane.restartApiServer();
  await vault.restart();
  t.true((await vault.sealStatus()).sealed);
  const reported = Date.now();
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault, 30_000);
  t.log(`unsealed ${Date.now() - reported} ms after the pod update that followed the API server restart`);
  const metrics = await operator.metrics();
  t.true(
    sample(metrics, 'vault_unsealer_informer_restarts_total', 'reason="error"') >= 1,
    'the informer was restarted',
  );
  t.is(sample(metrics, 'vault_unsealer_leader'), 1, 'leadership survived');
  t.is(sample(metrics, 'vault_unsealer_unseal_attempts_total', 'result="success"'), 2);
  await operator.stop();
});

test.serial('of two replicas exactly one acts, and the other takes over when the leader stops', async (t) => {
  const namespace = 'replicas';
  const { vault, kubelet, template, ip } = await bed.singleNode(namespace, 31);
  const start = (identity: string): TestOperator => bed.operator({ namespace, addressTemplate: template, identity });
  const a = start('unsealer-a');
  const b = start('unsealer-b');
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const replicas = [a, b];
  const leaders = replicas.filter((replica) => replica.operator.isLeader);
  t.is(leaders.length, 1, 'exactly one leader');
  const leader = leaders[0]!;
  const follower = leader === a ? b : a;
  const followerMetrics = await follower.metrics();
  t.is(sample(followerMetrics, 'vault_unsealer_reconciles_total', 'result="ok"'), 0, 'the follower did nothing');
  t.is(sample(followerMetrics, 'vault_unsealer_leader'), 0);
  const instances = new Set((await events(bed.plane.kubeConfig, namespace)).map((event) => event.instance));
  t.deepEqual([...instances], [leader.operator.status().identity]);

  // Graceful stop hands the lease over at once.
  const stopped = Date.now();
  await leader.stop();
  await waitFor(async () => follower.operator.isLeader, { what: 'the follower to lead', timeoutMs: 5000 });
  t.log(`takeover ${Date.now() - stopped} ms after a graceful stop`);
  const coordination = bed.plane.kubeConfig.makeApiClient(CoordinationV1Api);
  const lease = await coordination.readNamespacedLease({ name: 'vault-unsealer', namespace });
  t.is(lease.spec?.holderIdentity, follower.operator.status().identity);
  await vault.restart();
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault, 10_000);
  t.is(sample(await follower.metrics(), 'vault_unsealer_unseal_attempts_total', 'result="success"'), 1);

  // A replica that dies without releasing is replaced once its lease expires.
  const c = start('unsealer-c');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.false(c.operator.isLeader);
  const crashed = Date.now();
  await follower.operator.crash();
  await waitFor(async () => c.operator.isLeader, { what: 'the third replica to lead', timeoutMs: 15_000 });
  t.log(`takeover ${Date.now() - crashed} ms after a crash (lease 3 s)`);
  await vault.restart();
  await kubelet.markRunning('vault-0', ip);
  await waitUnsealed(vault, 10_000);
  t.is(sample(await c.metrics(), 'vault_unsealer_unseal_attempts_total', 'result="success"'), 1);
});
