import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dev } from '../../charts-ts/src/profile.ts';
import { decodeKindConfig } from '../support/charts-tools.ts';

const file = fileURLToPath(new URL('../../kind-config.yaml', import.meta.url));

interface KindCluster {
  name: string;
  nodes: {
    role: string;
    labels?: Record<string, string>;
    extraPortMappings?: { containerPort: number; hostPort: number; listenAddress: string; protocol: string }[];
  }[];
  networking: { disableDefaultCNI?: boolean; podSubnet: string; serviceSubnet: string; kubeProxyMode: string };
  containerdConfigPatches: string[];
}

test('kind-config.yaml decodes strictly into kind v1alpha4 types', async (t) => {
  const cluster = (await decodeKindConfig(file)) as unknown as KindCluster;
  t.is(cluster.name, 'content-factory');
  t.is(cluster.nodes.length, 1);
  t.is(cluster.nodes[0]!.role, 'control-plane');
});

test("kind's decoder rejects an unknown field, so the check is strict", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cf-kind-'));
  writeFileSync(join(dir, 'bad.yaml'), readFileSync(file, 'utf8').replace('extraPortMappings:', 'extraPortMapping:'));
  const error = await t.throwsAsync(decodeKindConfig(join(dir, 'bad.yaml')));
  t.regex(error.message, /extraPortMapping/);
});

test('ports 80 and 443 of 127.0.0.1 reach the node the Gateway proxy is pinned to', async (t) => {
  const cluster = (await decodeKindConfig(file)) as unknown as KindCluster;
  const node = cluster.nodes[0]!;
  t.deepEqual(
    node.extraPortMappings?.map((m) => `${m.listenAddress}:${m.hostPort}->${m.containerPort}/${m.protocol}`),
    ['127.0.0.1:80->80/TCP', '127.0.0.1:443->443/TCP'],
  );
  t.is(node.labels?.['ingress-ready'], 'true');
  const tiltfile = readFileSync(fileURLToPath(new URL('../../Tiltfile', import.meta.url)), 'utf8');
  t.regex(tiltfile, /nodeSelector:\s+ingress-ready: "true"/);
});

/** [first, last] address of an IPv4 CIDR as numbers. */
function range(cidr: string): [number, number] {
  const [ip, bits] = cidr.split('/') as [string, string];
  const base = ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  return [base - (base % size), base - (base % size) + size - 1];
}

test("the cluster keeps kindnetd (which enforces NetworkPolicy); the API-server egress reaches kind's kubernetes Service but no pod", async (t) => {
  const cluster = (await decodeKindConfig(file)) as unknown as KindCluster;
  t.not(cluster.networking.disableDefaultCNI, true); // omitted when false
  const [serviceFirst] = range(cluster.networking.serviceSubnet);
  const [podFirst, podLast] = range(cluster.networking.podSubnet);
  const cidrs = dev.apiServer.cidrs.map(range);
  t.true(
    cidrs.some(([first, last]) => first <= serviceFirst + 1 && serviceFirst + 1 <= last),
    'the `kubernetes` Service address (first host of the service subnet)',
  );
  t.false(
    cidrs.some(([first, last]) => first <= podLast && podFirst <= last),
    'no API-server CIDR overlaps the pod subnet',
  );
});

test('containerd reads registry hosts from /etc/containerd/certs.d for the local registry', async (t) => {
  const cluster = (await decodeKindConfig(file)) as unknown as KindCluster;
  t.true(cluster.containerdConfigPatches.some((p) => /config_path = "\/etc\/containerd\/certs\.d"/.test(p)));
});
