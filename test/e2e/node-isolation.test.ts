import test from 'ava';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { egressGuardDrops, readSysctls, sh } from '../support/node/host.ts';
import { NODE_IMAGES, probeImage } from '../support/node/images.ts';
import { startNode, type RunningNode } from '../support/node/node.ts';
import { startOutsideHost, type OutsideHost } from '../support/node/outside.ts';
import { leftovers, lockDir } from '../support/node/teardown.ts';
import { waitFor } from '../support/process.ts';

// One node for the file: the tests run in order and the last one tears it down.
let node: RunningNode;
let outside: OutsideHost;
const sysctlsBefore = readSysctls();
const probe = 'probe';

/** Runs a shell command (BusyBox) in the probe pod; resolves with its stdout. */
async function inPod(script: string): Promise<string> {
  return node.kubectl(['exec', probe, '--', 'sh', '-c', script], undefined, 30_000);
}

test.before(async (t) => {
  t.timeout(15 * 60_000);
  node = await startNode({ images: [await probeImage()], progress: (line) => t.log(line) });
  t.log(`node timings (ms): ${JSON.stringify(node.timings)}`);
  outside = await startOutsideHost(node);
  await node.kubectl([
    'run',
    probe,
    `--image=${NODE_IMAGES.probe}`,
    '--image-pull-policy=Never',
    '--restart=Never',
    '--command',
    '--',
    'sleep',
    '3600',
  ]);
  await node.kubectl(['wait', '--for=condition=Ready', `pod/${probe}`, '--timeout=120s'], undefined, 130_000);
});

test.after.always(async () => {
  await outside?.server.stop();
  await node?.stop();
});

test.serial('the host reaches the outside host', async (t) => {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect({ host: outside.address, port: outside.port, timeout: 3000 });
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('timeout', () => reject(new Error('timeout')));
    socket.on('error', reject);
  });
  t.is(answer.trim(), 'outside');
});

test.serial('a pod resolves the kubernetes Service through CoreDNS and connects to it', async (t) => {
  const lookup = await inPod('nslookup kubernetes.default.svc.cluster.local');
  t.true(lookup.includes(node.layout.apiServiceIp), lookup);
  const out = await inPod(
    'timeout 5 nc -w 3 kubernetes.default.svc.cluster.local 443 </dev/null && echo connected || echo failed',
  );
  t.is(out.trim(), 'connected');
});

test.serial(
  'a pod cannot reach the outside host: the node drops its packets before they leave the bridge',
  async (t) => {
    const dropsBefore = egressGuardDrops(node.layout.id);
    const connectionsBefore = outside.connectionsFrom().length;
    const out = await inPod(
      `timeout 5 nc -w 3 ${outside.address} ${outside.port} </dev/null && echo connected || echo failed`,
    );
    t.is(out.trim(), 'failed');
    t.deepEqual(
      outside.connectionsFrom().slice(connectionsBefore),
      [],
      'the outside host saw no connection from a pod',
    );
    t.true(egressGuardDrops(node.layout.id) > dropsBefore, 'the egress guard counted the dropped packets');
  },
);

test.serial(
  'a pod has no resolver but CoreDNS, which answers names outside cluster.local NXDOMAIN itself',
  async (t) => {
    const resolvConf = await inPod('cat /etc/resolv.conf');
    const nameservers = resolvConf.split('\n').filter((l) => l.startsWith('nameserver'));
    t.deepEqual(nameservers, [`nameserver ${node.layout.dnsServiceIp}`]);
    const name = `cf-probe-${node.layout.id}.invalid`;
    const out = await inPod(`nslookup ${name}. 2>&1 || true`);
    t.regex(out, /NXDOMAIN/);
    const corednsLog = await node.kubectl(['-n', 'kube-system', 'logs', 'deployment/coredns']);
    t.regex(corednsLog, new RegExp(`A ${name.replace(/\./g, '\\.')}\\. NXDOMAIN`));
  },
);

test.serial(
  "a NetworkPolicy is enforced: a connection that works without it is refused once the server's ingress is denied",
  async (t) => {
    await node.kubectl([
      'run',
      'server',
      `--image=${NODE_IMAGES.probe}`,
      '--image-pull-policy=Never',
      '--restart=Never',
      '--labels=app=server',
      '--command',
      '--',
      'httpd',
      '-f',
      '-p',
      '8080',
    ]);
    await node.kubectl(['wait', '--for=condition=Ready', 'pod/server', '--timeout=120s'], undefined, 130_000);
    const ip = (await node.kubectl(['get', 'pod', 'server', '-o', 'jsonpath={.status.podIP}'])).trim();
    const attempt = async (): Promise<string> =>
      (await inPod(`timeout 5 nc -w 3 ${ip} 8080 </dev/null && echo connected || echo failed`)).trim();
    t.is(await attempt(), 'connected', 'before any policy');

    await node.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'server-deny-ingress', namespace: 'default' },
        spec: { podSelector: { matchLabels: { app: 'server' } }, policyTypes: ['Ingress'] },
      }),
    );
    // kube-router applies a policy on its informer event, not at once: wait for the refusal, then prove it holds.
    const refused = await waitFor(async () => (await attempt()) === 'failed', {
      what: 'kube-router to enforce the deny-ingress policy',
      timeoutMs: 60_000,
      intervalMs: 500,
    }).then(
      () => true,
      () => false,
    );
    t.true(refused, 'the policy took effect within 60 s');
    t.is(await attempt(), 'failed', 'and still holds');

    await node.kubectl(['delete', 'networkpolicy', 'server-deny-ingress']);
    await node.kubectl(['delete', 'pod', 'server', '--wait=false']);
  },
);

test.serial(
  'teardown leaves no process, mount, cgroup, link, path, chain or ipset and restores the sysctls',
  async (t) => {
    const state = node.state;
    await outside.server.stop();
    await node.stop();
    t.deepEqual(leftovers(state), []);
    t.deepEqual(readSysctls(), sysctlsBefore);
    for (const tool of ['iptables', 'ip6tables']) {
      for (const table of ['filter', 'nat', 'mangle', 'raw']) {
        const rules = sh(tool, ['-t', table, '-S']).stdout.split('\n');
        t.deepEqual(
          rules.filter((l) => /KUBE-|CNI-|cf-node-/.test(l)),
          [],
          `${tool} ${table}`,
        );
      }
    }
    t.deepEqual(
      sh('ipset', ['list', '-n'])
        .stdout.split('\n')
        .filter((s) => /KUBE-|kube-router/.test(s)),
      [],
    );
    t.false(existsSync(`/run/netns/cfout${state.id}`));
    t.false(existsSync(lockDir()));
  },
);
