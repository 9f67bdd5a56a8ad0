import test from 'ava';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { waitFor } from '../support/process.ts';
import { createNamespace, LogCapture, startOperator, type TestOperator } from '../support/unsealer-cluster.ts';
import { freezableProxy, kubeConfigVia, type FreezableProxy } from '../support/unsealer-proxies.ts';

let plane: ControlPlane;
let proxy: FreezableProxy | undefined;
const operators: TestOperator[] = [];
const logs = new LogCapture();

test.before(async () => {
  plane = await startControlPlane();
});

test.after.always(async () => {
  proxy?.thaw();
  await Promise.allSettled(operators.map((operator) => operator.operator.crash()));
  await proxy?.stop();
  await plane?.stop();
});

/** Polls `check` every 20 ms and returns when it first held (Date.now()). */
async function when(check: () => boolean, what: string): Promise<number> {
  await waitFor(async () => check(), { what, timeoutMs: 30_000, intervalMs: 20 });
  return Date.now();
}

test.serial(
  'a leader whose API server hangs mid-request steps down before its lease can pass to another',
  async (t) => {
    const namespace = 'hanging-api';
    await createNamespace(plane.kubeConfig, namespace);
    proxy = await freezableProxy(plane.server);
    const timings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
    const common = { namespace, addressTemplate: 'http://{podIP}:8200', logs, resyncMs: 60_000, ...timings };
    const a = startOperator({ ...common, kubeConfig: kubeConfigVia(plane.kubeConfig, proxy.server), identity: 'a' });
    operators.push(a);
    await when(() => a.operator.isLeader, 'a to lead');
    const b = startOperator({ ...common, kubeConfig: plane.kubeConfig, identity: 'b' });
    operators.push(b);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // b now sees a renewing

    t.true(a.operator.isLeader);
    t.false(b.operator.isLeader);
    // From now on every request of a — the lease renewal included — is accepted and never answered.
    let bothLed = false;
    const sampler = setInterval(() => {
      if (a.operator.isLeader && b.operator.isLeader) bothLed = true;
    }, 5);
    proxy.freeze();
    try {
      await when(() => !a.operator.isLeader, 'a to step down');
      await when(() => b.operator.isLeader, 'b to take over');
    } finally {
      clearInterval(sampler);
    }
    t.false(bothLed, 'never two leaders: a stopped before b started');
    t.true(b.operator.isLeader);
    t.false(a.operator.isLeader, 'a stays a follower while its API server hangs');
  },
);
