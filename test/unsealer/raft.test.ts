import test from 'ava';
import { waitFor } from '../support/process.ts';
import {
  createNamespace,
  events,
  Kubelet,
  leaks,
  sample,
  storedKeys,
  waitUnsealed,
  type TestOperator,
} from '../support/unsealer-cluster.ts';
import { UnsealerBed } from '../support/unsealer-bed.ts';
import type { VaultServer } from '../support/vault.ts';

const bed = UnsealerBed.for(test);
let servers: VaultServer[] = [];
let operator: TestOperator | undefined;

test.serial('three raft nodes: the first is initialized, the others join and are unsealed, three peers', async (t) => {
  const namespace = 'raft';
  await createNamespace(bed.plane.kubeConfig, namespace);
  const pods = await bed.vaultPods(3, 20);
  servers = pods.servers;
  const kubelet = new Kubelet(bed.plane.kubeConfig, namespace);
  for (let index = 0; index < 3; index += 1) await kubelet.createPod(`vault-${index}`);
  operator = bed.operator({ namespace, addressTemplate: pods.template });
  // The StatefulSet starts all pods at once (podManagementPolicy: Parallel): followers wait for vault-0.
  await Promise.all([0, 1, 2].map((index) => kubelet.markRunning(`vault-${index}`, pods.ip(index))));
  await Promise.all(servers.map((server) => waitUnsealed(server, 60_000)));
  const stored = await storedKeys(bed.plane.kubeConfig, namespace);
  t.truthy(stored);
  const root = stored!.rootToken;
  const peers = await waitFor(
    async () => {
      const response = await fetch(`${servers[0]!.address}/v1/sys/storage/raft/configuration`, {
        headers: { 'x-vault-token': root },
      });
      const body = (await response.json()) as {
        data?: { config?: { servers?: { node_id: string; voter: boolean }[] } };
      };
      const list = body.data?.config?.servers ?? [];
      return list.length === 3 ? list : undefined;
    },
    { what: 'three raft peers', timeoutMs: 30_000 },
  );
  t.deepEqual(peers.map((peer) => peer.node_id).sort(), ['vault-0', 'vault-1', 'vault-2']);
  const byPod = await events(bed.plane.kubeConfig, namespace);
  t.deepEqual(
    byPod
      .filter((event) => event.reason === 'Joined')
      .map((event) => event.pod)
      .sort(),
    ['vault-1', 'vault-2'],
  );
  t.deepEqual(
    byPod.filter((event) => event.reason === 'Initialized').map((event) => event.pod),
    ['vault-0'],
  );
  // The last round of a follower is counted once it caught up with the leader.
  const metrics = await waitFor(
    async () => {
      const text = await operator!.metrics();
      return sample(text, 'vault_unsealer_unseal_attempts_total', 'result="success"') === 3 ? text : undefined;
    },
    { what: 'three successful unseal rounds', timeoutMs: 5000 },
  );
  t.is(sample(metrics, 'vault_unsealer_initializations_total'), 1);
  t.deepEqual(leaks([...bed.logs.lines, metrics, JSON.stringify(byPod)], [...stored!.keys, root]), []);
});

test.serial('a follower whose process restarted is unsealed again with the same keys', async (t) => {
  const namespace = 'raft';
  const kubelet = new Kubelet(bed.plane.kubeConfig, namespace);
  const follower = servers[2]!;
  await follower.restart();
  await kubelet.markRunning('vault-2', `127.0.20.3`);
  await waitUnsealed(follower, 15_000);
  t.is(sample(await operator!.metrics(), 'vault_unsealer_initializations_total'), 1);
});
