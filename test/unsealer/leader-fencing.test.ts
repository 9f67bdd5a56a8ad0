import test from 'ava';
import { CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { createLogger } from '@cf/kit';
import { LeaderElector, type LeaderElectionOptions } from '@cf/vault-unsealer/leader';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { waitFor } from '../support/process.ts';
import { settle } from '../support/settle.ts';
import { createNamespace, LogCapture } from '../support/unsealer-cluster.ts';

// The unsealer's fencing is its Lease: only the holder acts, a holder that cannot renew steps down before another
// may start, and two candidates can never both win (writes carry the resourceVersion they read). Each promise of
// the README's "Leader election" section is driven here against the real kube-apiserver, one elector per replica.

const namespace = 'leader-fencing';
// client-go's proportions (renew deadline ⅔ of the lease), short enough for a test, long enough for a loaded API server.
const timings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
let plane: ControlPlane;
let coordination: CoordinationV1Api;
const logs = new LogCapture();
const electors: LeaderElector[] = [];

test.before(async () => {
  plane = await startControlPlane();
  await createNamespace(plane.kubeConfig, namespace);
  coordination = plane.kubeConfig.makeApiClient(CoordinationV1Api);
});

test.after.always(async () => {
  await Promise.allSettled(electors.map((elector) => elector.stop(false)));
  await plane?.stop();
});

/** A replica's elector for lease `name`; `leading` lists every start (true) and stop (false) it reported. */
function candidate(
  name: string,
  identity: string,
  overrides: Partial<LeaderElectionOptions> = {},
): { elector: LeaderElector; leading: boolean[] } {
  const leading: boolean[] = [];
  const elector = new LeaderElector({
    coordination,
    namespace,
    name,
    identity,
    ...timings,
    logger: createLogger({ name: 'vault-unsealer', level: 'debug', stream: logs.stream() }),
    onStartedLeading: () => void leading.push(true),
    onStoppedLeading: () => void leading.push(false),
    ...overrides,
  });
  electors.push(elector);
  return { elector, leading };
}

async function lease(name: string): Promise<V1Lease> {
  return coordination.readNamespacedLease({ name, namespace });
}

/** Writes the Lease as another replica holding it would (create or replace), `renewTime` as its clock says. */
async function holdAs(
  name: string,
  holder: string,
  renewTime: Date,
  { leaseTransitions = 0, leaseDurationSeconds = 1 } = {},
): Promise<V1Lease> {
  const spec = {
    holderIdentity: holder,
    leaseDurationSeconds,
    leaseTransitions,
    renewTime: new V1MicroTime(renewTime),
  };
  try {
    const current = await lease(name);
    return await coordination.replaceNamespacedLease({
      name,
      namespace,
      body: { metadata: current.metadata ?? {}, spec: { ...current.spec, ...spec } },
    });
  } catch {
    return coordination.createNamespacedLease({
      namespace,
      body: { metadata: { name, namespace }, spec: { ...spec, acquireTime: new V1MicroTime(renewTime) } },
    });
  }
}

/** Calls `step` every `everyMs` until the returned stop function is called (and awaited). */
function repeat(step: () => Promise<unknown>, everyMs: number): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await step();
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test.serial(
  'a candidate never takes a lease its holder keeps renewing, however old the holder’s clock is',
  async (t) => {
    const name = 'renewed-by-other';
    const hourAgo = (): Date => new Date(Date.now() - 3_600_000);
    // A 5 s lease renewed every 300 ms: it never goes 5 s unchanged, even when the API server is slow.
    const hold = (): Promise<V1Lease> => holdAs(name, 'other', hourAgo(), { leaseDurationSeconds: 5 });
    await hold();
    const stopRenewing = repeat(hold, 300);
    const { elector, leading } = candidate(name, 'a');
    elector.start();
    try {
      await sleep(3 * timings.leaseDurationMs);
    } finally {
      await stopRenewing();
    }
    t.deepEqual(leading, [], 'expiry is judged by when the lease last changed here, not by its renewTime');
    t.is((await lease(name)).spec?.holderIdentity, 'other');
    await elector.stop();
  },
);

test.serial('a lease whose holder stopped renewing passes after the lease duration, as one transition', async (t) => {
  const name = 'abandoned';
  await holdAs(name, 'gone', new Date(), { leaseTransitions: 3 });
  const { elector } = candidate(name, 'a');
  const started = Date.now();
  elector.start();
  await sleep(500);
  t.false(elector.isLeader, 'not while the lease may still be valid');
  const led = await settle(async () => elector.isLeader, Boolean, { timeoutMs: 30_000 });
  t.true(led, 'the candidate leads once the lease expired');
  t.true(Date.now() - started >= 1000, 'not before the holder’s lease duration (1 s) passed with no change');
  const taken = await lease(name);
  t.is(taken.spec?.holderIdentity, 'a');
  t.is(taken.spec?.leaseTransitions, 4);
  t.is(taken.spec?.leaseDurationSeconds, 3, 'its own lease duration, in whole seconds');
  await elector.stop();
});

test.serial('a leader’s renewals keep its acquireTime and count no transition', async (t) => {
  const name = 'renewals';
  const { elector } = candidate(name, 'a');
  elector.start();
  await waitFor(async () => elector.isLeader, { what: 'a to lead', timeoutMs: 30_000 });
  const first = await lease(name);
  await sleep(3 * timings.retryPeriodMs);
  const later = await lease(name);
  t.is(later.spec?.holderIdentity, 'a');
  t.not(later.metadata?.resourceVersion, first.metadata?.resourceVersion, 'the lease was renewed meanwhile');
  t.deepEqual(later.spec?.acquireTime, first.spec?.acquireTime);
  t.is(later.spec?.leaseTransitions, 0, 'a lease created by its first holder has no transition');
  await elector.stop();
});

test.serial('a released lease (no holder) is taken at once, without counting a transition', async (t) => {
  const name = 'released';
  const first = candidate(name, 'a');
  first.elector.start();
  await waitFor(async () => first.elector.isLeader, { what: 'a to lead', timeoutMs: 30_000 });
  await first.elector.stop();
  t.deepEqual(first.leading, [true, false]);
  t.is((await lease(name)).spec?.holderIdentity, '', 'stopping hands the lease back');
  let reads = 0;
  const counting = new Proxy(coordination, {
    get(target, property, receiver) {
      if (property === 'readNamespacedLease') reads += 1;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  let readsBeforeLeading: number | undefined;
  const second = candidate(name, 'b', {
    coordination: counting,
    onStartedLeading: () => void (readsBeforeLeading = reads),
  });
  second.elector.start();
  await waitFor(async () => second.elector.isLeader, { what: 'b to lead', timeoutMs: 30_000 });
  t.is(readsBeforeLeading, 1, 'b took the lease on its first look, without waiting for it to expire');
  t.is((await lease(name)).spec?.leaseTransitions, 0);
  await second.elector.stop();
});

test.serial('two candidates that read the same expired lease cannot both take it', async (t) => {
  const name = 'contested';
  await holdAs(name, 'gone', new Date());
  // Both candidates' first replace is held until the other's arrives, so both carry the resourceVersion of the
  // same read: the API server accepts one and refuses the other (409) — the fence the elector relies on.
  const held: (() => void)[] = [];
  let gated = 0;
  const gate: CoordinationV1Api = new Proxy(coordination, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'replaceNamespacedLease' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (gated < 2) {
          gated += 1;
          await new Promise<void>((resolve) => {
            held.push(resolve);
            if (held.length === 2) held.forEach((release) => release());
            setTimeout(resolve, 5000);
          });
        }
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
  const a = candidate(name, 'a', { coordination: gate });
  const b = candidate(name, 'b', { coordination: gate });
  let both = false;
  const sampler = setInterval(() => {
    if (a.elector.isLeader && b.elector.isLeader) both = true;
  }, 5);
  a.elector.start();
  b.elector.start();
  try {
    await waitFor(async () => a.elector.isLeader || b.elector.isLeader, { what: 'a leader', timeoutMs: 30_000 });
    await sleep(4 * timings.retryPeriodMs);
  } finally {
    clearInterval(sampler);
  }
  t.is(gated, 2, 'both candidates wrote against the same read');
  t.false(both, 'never two leaders');
  const winner = a.elector.isLeader ? 'a' : 'b';
  t.is((await lease(name)).spec?.holderIdentity, winner);
  t.deepEqual((winner === 'a' ? b : a).leading, [], 'the refused candidate never started leading');
  await Promise.all([a.elector.stop(), b.elector.stop()]);
});

test.serial(
  'a leader whose lease was taken over stops within the renew deadline and leaves the lease alone',
  async (t) => {
    const name = 'taken-over';
    const { elector, leading } = candidate(name, 'a');
    elector.start();
    await waitFor(async () => elector.isLeader, { what: 'a to lead', timeoutMs: 30_000 });
    // Another writer takes the lease (an operator with a stale view, or a human) and keeps renewing it.
    const usurp = (): Promise<V1Lease> => holdAs(name, 'usurper', new Date(), { leaseDurationSeconds: 5 });
    await usurp();
    const taken = Date.now();
    const stopRenewing = repeat(usurp, 200);
    try {
      const stillLeading = await settle(
        async () => elector.isLeader,
        (led) => !led,
        {
          timeoutMs: 4 * timings.renewDeadlineMs,
          intervalMs: 10,
        },
      );
      t.false(stillLeading, 'a stepped down');
      t.true(
        Date.now() - taken <= timings.renewDeadlineMs + 2 * timings.retryPeriodMs + 1000,
        'within the renew deadline (plus one retry and this poll)',
      );
      t.deepEqual(leading, [true, false], 'its work was stopped once');
      await sleep(3 * timings.retryPeriodMs);
      t.false(elector.isLeader, 'and it does not take the lease back while it is renewed');
      await elector.stop();
    } finally {
      await stopRenewing();
    }
    t.is((await lease(name)).spec?.holderIdentity, 'usurper', 'stopping released nothing it no longer held');
  },
);
