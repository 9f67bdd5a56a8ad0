import { randomBytes, randomInt } from 'node:crypto';
import { sh } from './host.ts';
import { freePort } from '../process.ts';
import type { NodeLayout } from './configs.ts';

/** A /24 in 10.0.0.0/8 whose second octet is in [low, high) and that no route of this host touches. */
function freeSubnet(low: number, high: number, taken: readonly string[]): string {
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']).stdout;
  for (let attempt = 0; attempt < 100; attempt++) {
    const prefix = `10.${randomInt(low, high)}.${randomInt(0, 256)}`;
    if (!routes.includes(`${prefix}.`) && !taken.includes(prefix)) return prefix;
  }
  throw new Error('no free /24 in 10.0.0.0/8 for the node');
}

/** An address in 172.16.0.0/12 (kind's node network) that no route of this host touches. */
function freeKindNodeAddress(): string {
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']).stdout;
  for (let attempt = 0; attempt < 100; attempt++) {
    const prefix = `172.${randomInt(16, 32)}.${randomInt(0, 256)}`;
    if (!routes.includes(`${prefix}.`)) return `${prefix}.${randomInt(2, 255)}`;
  }
  throw new Error('no free address in 172.16.0.0/12 for the node API server');
}

/** Names, subnets and ports of one run, chosen so that they clash with nothing else on this host. */
export async function pickLayout(dir: string): Promise<NodeLayout> {
  const id = randomBytes(3).toString('hex');
  // Below 10.244/16: kind's pod subnet, which the dev profile's API-server egress rule excepts (charts-ts profile.ts).
  const pods = freeSubnet(200, 240, []);
  const services = freeSubnet(96, 100, [pods]);
  const ports = {
    etcd: await freePort(),
    etcdPeer: await freePort(),
    // The dev profile lets pods reach the API server on 443/6443 only (the node lock keeps one run per machine).
    api: 6443,
    kubelet: await freePort(),
    kubeletHealthz: await freePort(),
    proxyHealthz: await freePort(),
    proxyMetrics: await freePort(),
  };
  return {
    id,
    dir,
    nodeName: `cf-node-${id}`,
    bridge: `cfbr${id}`,
    podCidr: `${pods}.0/24`,
    nodeIp: `${pods}.1`,
    apiIp: freeKindNodeAddress(),
    serviceCidr: `${services}.0/24`,
    apiServiceIp: `${services}.1`,
    dnsServiceIp: `${services}.10`,
    cgroupRoot: `/cf-node-${id}`,
    ports,
  };
}
