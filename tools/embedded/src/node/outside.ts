// A stand-in for "the rest of the world" that lives on this machine: a network namespace behind a veth pair that is
// not on the node's bridge, with addresses from 198.18.0.0/15 (RFC 2544, benchmarking: never routed publicly).
// Tests show the host reaches it and pods do not, without a packet leaving the machine.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnManaged, waitFor, type ManagedProcess } from '../process.ts';
import { sh } from './host.ts';
import type { RunningNode } from './node.ts';

export interface OutsideHost {
  /** The namespace side's address. */
  address: string;
  port: number;
  /** Remote addresses of every TCP connection the outside host accepted. */
  connectionsFrom(): string[];
  server: ManagedProcess;
}

/** Creates the namespace (registered with the node for teardown) and a TCP server in it that answers `outside`. */
export async function startOutsideHost(node: RunningNode): Promise<OutsideHost> {
  const id = node.layout.id;
  const netns = `cfout${id}`;
  const hostSide = `cfoh${id}`;
  const nsSide = `cfon${id}`;
  const subnet = `198.18.${randomInt(0, 256)}`;
  node.own({ netns, link: hostSide });
  sh('ip', ['netns', 'add', netns]);
  sh('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide]);
  sh('ip', ['link', 'set', nsSide, 'netns', netns]);
  sh('ip', ['addr', 'add', `${subnet}.1/30`, 'dev', hostSide]);
  sh('ip', ['link', 'set', hostSide, 'up']);
  sh('ip', ['-n', netns, 'addr', 'add', `${subnet}.2/30`, 'dev', nsSide]);
  sh('ip', ['-n', netns, 'link', 'set', nsSide, 'up']);
  sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  // A route back to the pods, so that a reply would be possible if the node let a pod's packet through.
  sh('ip', ['-n', netns, 'route', 'add', node.layout.podCidr, 'via', `${subnet}.1`]);
  const port = 8080;
  const logFile = join(node.state.dir, 'logs', 'outside-host.log');
  const script =
    "require('net').createServer((s)=>{console.log('from '+s.remoteAddress);s.end('outside\\n')})" +
    `.listen(${port},'0.0.0.0',()=>console.log('listening'))`;
  const server = spawnManaged('ip', ['netns', 'exec', netns, process.execPath, '-e', script], {
    name: 'outside host',
    logFile,
  });
  const lines = (): string[] => {
    try {
      return readFileSync(logFile, 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  await waitFor(async () => lines().includes('listening'), { what: 'the outside host to listen', process: server });
  return {
    address: `${subnet}.2`,
    port,
    connectionsFrom: () =>
      lines()
        .filter((l) => l.startsWith('from '))
        .map((l) => l.slice(5)),
    server,
  };
}
