import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, runContainer, serviceBuild } from '../support/containers.ts';
import { startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { scratchDir, startTogether } from '../support/process.ts';
import { createNamespace, Kubelet, sample, startVaultPods, waitUnsealed } from '../support/unsealer-cluster.ts';
import type { VaultServer } from '../support/vault.ts';

const tag = 'localhost/cf/vault-unsealer:test';
let plane: ControlPlane | undefined;
let vault: VaultServer | undefined;

test.after.always(async () => {
  await vault?.stop();
  await plane?.stop();
});

test('the image from the Node service Dockerfile runs as a non-root user on a read-only root and unseals a real Vault', async (t) => {
  const [, started, pods] = await startTogether([
    buildImage({ ...serviceBuild('operators/vault-unsealer'), tag }),
    startControlPlane(),
    startVaultPods(1, 50),
  ]);
  plane = started;
  vault = pods.servers[0]!;
  // The image as built, plus a kubeconfig standing in for the in-cluster ServiceAccount (there is no cluster
  // network here: the container shares the host's loopback, where the test API server and Vault listen).
  const context = scratchDir('unsealer-image');
  writeFileSync(join(context, 'kubeconfig'), plane.kubeConfig.exportConfig(), { mode: 0o644 });
  writeFileSync(join(context, 'Dockerfile'), `FROM ${tag}\nCOPY kubeconfig /app/kubeconfig\n`);
  await buildImage({ context, dockerfile: join(context, 'Dockerfile'), tag: `${tag}-kubeconfig` });

  const namespace = 'cf-vault';
  await createNamespace(plane.kubeConfig, namespace);
  const kubelet = new Kubelet(plane.kubeConfig, namespace);
  await kubelet.createPod('vault-0');
  await kubelet.markRunning('vault-0', pods.ip(0));
  const container = await runContainer({
    image: `${tag}-kubeconfig`,
    env: {
      KUBECONFIG: '/app/kubeconfig',
      POD_NAME: 'vault-unsealer-0',
      POD_NAMESPACE: namespace,
      VAULT_ADDRESS_TEMPLATE: pods.template,
    },
  });
  t.teardown(() => container.stop());
  t.deepEqual(await (await fetch(`${container.url}/healthz`)).json(), { status: 'ok' });
  await waitUnsealed(vault, 60_000);
  t.is((await fetch(`${container.url}/readyz`)).status, 200);
  const metrics = await (await fetch(`${container.url}/metrics`)).text();
  t.is(sample(metrics, 'vault_unsealer_leader', 'service="vault-unsealer"'), 1);
  t.is(sample(metrics, 'vault_unsealer_initializations_total', 'service="vault-unsealer"'), 1);
  const status = (await (await fetch(`${container.url}/status`)).json()) as { pods: Record<string, { state: string }> };
  t.is(status.pods['vault-0']?.state, 'unsealed');
  t.is((await container.exec(['id', '-u'])).stdout.trim(), '1000');
  t.not((await container.exec(['sh', '-c', 'touch /app/should-fail'])).code, 0, 'the root filesystem is read-only');
});
