// A real single-node Kubernetes cluster on this machine (FACTS.md "A real node"): etcd, kube-apiserver (Node,RBAC),
// controller-manager, scheduler, kubelet, containerd with Debian's runc and the CNI bridge, kube-proxy (iptables),
// kube-router (NetworkPolicy only) and CoreDNS (cluster.local only). Nothing it starts can send traffic off the
// machine: a mangle FORWARD rule drops pod traffic bound anywhere but the bridge, installed before any pod exists,
// pods get no upstream resolver and CoreDNS forwards nowhere.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scratchDir, spawnManaged, waitFor, type ManagedProcess } from '../process.ts';
import { resolveBinary } from '../built-binaries.ts';
import { resolveNodeBinaries, type NodeBinaryName } from './builds.ts';
import { cniConfig, containerdConfig, kubeletConfig, kubeProxyConfig, type NodeLayout } from './configs.ts';
import { corednsManifest } from './coredns.ts';
import { createCgroupRoot, installEgressGuard, readSysctls, sh } from './host.ts';
import { corednsImage, importArchives, NODE_IMAGES, pauseImage } from './images.ts';
import { pickLayout } from './layout.ts';
import { createNodePki, writeKubeconfig } from './pki.ts';
import {
  acquireNodeLock,
  FIXED_HOST_PATHS,
  releaseNodeLock,
  stateFile,
  teardownHost,
  writeState,
  type NodeState,
} from './teardown.ts';

const run = promisify(execFile);

/** The filter chain kube-router's NetworkPolicy controller hooks into FORWARD (pkg/controllers/netpol). */
const KUBE_ROUTER_FORWARD_CHAIN = 'KUBE-ROUTER-FORWARD';

export interface NodeOptions {
  /** OCI archives to import into containerd before any workload is applied. */
  images?: readonly string[];
  progress?: (line: string) => void;
  /** How long to wait for another node run holding the machine's node lock. Default: 20 min. */
  lockTimeoutMs?: number;
}

export interface RunningNode {
  layout: NodeLayout;
  /** Admin (system:masters) kubeconfig file. */
  kubeconfigPath: string;
  server: string;
  caPem: string;
  state: NodeState;
  binaries: Record<NodeBinaryName, string>;
  /**
   * Milliseconds from start to each milestone (`apiserver`, `nodeReady`, `networkPolicies`, `dnsReady`,
   * `serviceAccount`).
   */
  timings: Record<string, number>;
  /** Runs kubectl as admin; rejects with its stderr. */
  kubectl(args: readonly string[], input?: string, timeoutMs?: number): Promise<string>;
  importImages(archives: readonly string[]): Promise<void>;
  /** Records a network namespace or link made outside the bridge, so teardown removes it whatever happens. */
  own(resource: { netns?: string; link?: string }): void;
  stop(): Promise<void>;
}

function startGuard(file: string): ReturnType<typeof spawn> {
  const guard = spawn(process.execPath, [new URL('./node-reaper.ts', import.meta.url).pathname], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  guard.unref();
  guard.stdin?.write(`${JSON.stringify({ stateFile: file, ownerPid: process.pid })}\n`);
  (guard.stdin as unknown as { unref?: () => void }).unref?.();
  return guard;
}

/** Starts the node and waits until it is Ready with CoreDNS answering; see RunningNode. Requires root. */
export async function startNode(options: NodeOptions = {}): Promise<RunningNode> {
  const progress = options.progress ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error('a real node needs root (network namespaces, cgroups, iptables)');
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string): void => {
    timings[name] = Date.now() - t0;
  };
  const [binaries, etcdBin, apiserverBin] = [
    await resolveNodeBinaries((bundle, line) => progress(`[${bundle}] ${line}`)),
    await resolveBinary('etcd'),
    await resolveBinary('kube-apiserver'),
  ];
  const baseArchives = [await pauseImage(), await corednsImage(binaries.coredns)];
  mark('binaries');

  const dir = scratchDir('node');
  await acquireNodeLock(stateFile(dir), options.lockTimeoutMs ?? 20 * 60_000, progress);
  const layout = await pickLayout(dir);
  const state: NodeState = {
    id: layout.id,
    dir,
    bridge: layout.bridge,
    cgroupRoot: layout.cgroupRoot,
    sysctls: readSysctls(),
    netns: [],
    links: [],
    createdPaths: FIXED_HOST_PATHS.filter((path) => !existsSync(path)),
  };
  writeState(state);
  const guard = startGuard(stateFile(dir));
  const processes: ManagedProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => (stopping ??= stopOnce());
  const stopOnce = async (): Promise<void> => {
    // The kubelet first, so it does not restart what teardown kills; then the rest in reverse start order.
    for (const proc of [...processes].reverse()) await proc.stop(5000);
    await teardownHost(state, guard.pid === undefined ? [] : [guard.pid]);
    guard.stdin?.write('done\n');
    guard.stdin?.end();
    releaseNodeLock();
  };
  try {
    // The bridge and the egress guard exist before any component that could start a pod.
    sh('ip', ['link', 'add', layout.bridge, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${layout.nodeIp}/24`, 'dev', layout.bridge]);
    sh('ip', ['addr', 'add', `${layout.apiIp}/32`, 'dev', layout.bridge]);
    sh('ip', ['link', 'set', layout.bridge, 'up']);
    installEgressGuard(layout.id, layout.bridge);

    const pki = await createNodePki(join(dir, 'pki'), {
      nodeName: layout.nodeName,
      nodeIp: layout.nodeIp,
      apiIp: layout.apiIp,
      apiServiceIp: layout.apiServiceIp,
    });
    const server = `https://${layout.apiIp}:${layout.ports.api}`;
    const kubeconfigs = Object.fromEntries(
      ['admin', 'kubelet', 'controller-manager', 'scheduler', 'kube-proxy', 'kube-router'].map((n) => [
        n,
        writeKubeconfig(pki, n, server),
      ]),
    );
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const start = (name: string, bin: string, args: string[], env: Record<string, string> = {}): ManagedProcess => {
      const proc = spawnManaged(bin, args, { name, logFile: join(logs, `${name}.log`), env });
      processes.push(proc);
      return proc;
    };

    const etcd = start('etcd', etcdBin.path, [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${layout.ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${layout.ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${layout.ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${layout.ports.etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${layout.ports.etcdPeer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${layout.ports.etcd}/health`, { signal: AbortSignal.timeout(1000) })).ok,
      { what: 'etcd to be healthy', process: etcd, timeoutMs: 30_000 },
    );
    const apiserver = start('kube-apiserver', apiserverBin.path, [
      `--etcd-servers=http://127.0.0.1:${layout.ports.etcd}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--secure-port=${layout.ports.api}`,
      // Pods reach it as the `kubernetes` Service through the bridge (FACTS.md); nothing listens on other interfaces.
      `--bind-address=${layout.apiIp}`,
      `--advertise-address=${layout.apiIp}`,
      `--service-cluster-ip-range=${layout.serviceCidr}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      `--client-ca-file=${pki.caCert}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--kubelet-client-certificate=${join(pki.dir, 'apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${join(pki.dir, 'apiserver-kubelet-client.key')}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--allow-privileged=true',
      '-v=0',
    ]);
    const kubectl = async (args: readonly string[], input?: string, timeoutMs = 60_000): Promise<string> => {
      return new Promise((resolve, reject) => {
        const child = execFile(
          binaries.kubectl,
          ['--kubeconfig', kubeconfigs['admin']!, ...args],
          { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
          (error, stdout, stderr) => {
            if (error) reject(new Error(`kubectl ${args.join(' ')}: ${stderr.trim() || error.message}`));
            else resolve(stdout);
          },
        );
        if (input !== undefined) child.stdin?.end(input);
      });
    };
    await waitFor(async () => (await kubectl(['get', '--raw', '/readyz'], undefined, 5000)).trim() === 'ok', {
      what: 'kube-apiserver /readyz',
      process: apiserver,
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    mark('apiserver');

    mkdirSync(join(dir, 'cni', 'net.d'), { recursive: true });
    writeFileSync(join(dir, 'cni', 'net.d', '10-bridge.conflist'), cniConfig(layout));
    mkdirSync(join(dir, 'containerd'), { recursive: true });
    writeFileSync(join(dir, 'containerd', 'config.toml'), containerdConfig(layout, NODE_IMAGES.pause));
    const socket = join(dir, 'containerd', 'containerd.sock');
    const binDir = join(binaries.containerd, '..');
    const containerd = start('containerd', binaries.containerd, ['--config', join(dir, 'containerd', 'config.toml')], {
      PATH: `${binDir}:/usr/sbin:/usr/bin:/sbin:/bin`,
    });
    await waitFor(async () => (await run(binaries.ctr, ['--address', socket, 'version'])).stdout.includes('Server'), {
      what: 'containerd to answer',
      process: containerd,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const importImages = (archives: readonly string[]): Promise<void> => importArchives(binaries.ctr, socket, archives);
    await importImages([...baseArchives, ...(options.images ?? [])]);
    mark('images');

    start('kube-controller-manager', binaries['kube-controller-manager'], [
      `--kubeconfig=${kubeconfigs['controller-manager']}`,
      '--secure-port=0',
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${layout.podCidr}`,
      '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${layout.serviceCidr}`,
      '-v=0',
    ]);
    start('kube-scheduler', binaries['kube-scheduler'], [
      `--kubeconfig=${kubeconfigs['scheduler']}`,
      '--secure-port=0',
      '--leader-elect=false',
      '-v=0',
    ]);
    writeFileSync(join(dir, 'kube-proxy.yaml'), kubeProxyConfig(layout, kubeconfigs['kube-proxy']!));
    start('kube-proxy', binaries['kube-proxy'], [`--config=${join(dir, 'kube-proxy.yaml')}`, '-v=0']);
    writeFileSync(join(dir, 'kubelet.yaml'), kubeletConfig(layout, pki));
    createCgroupRoot(layout.cgroupRoot);
    const kubelet = start('kubelet', binaries.kubelet, [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${kubeconfigs['kubelet']}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${layout.nodeName}`,
      `--node-ip=${layout.nodeIp}`,
      '-v=1',
    ]);
    await waitFor(
      async () =>
        (
          await kubectl(
            ['get', 'node', layout.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'],
            undefined,
            5000,
          )
        ).trim() === 'True',
      { what: 'the node to be Ready', process: kubelet, timeoutMs: 120_000, intervalMs: 250 },
    );
    mark('nodeReady');

    // kube-router looks its Node up once at start and exits when there is none yet ("failed to identify the node by
    // NODE_NAME"), so it starts only after the kubelet has registered it. Nothing restarts it: the node counts as
    // up only once its NetworkPolicy chains exist and it still runs — otherwise every policy would be silently
    // unenforced.
    const kubeRouter = start('kube-router', binaries['kube-router'], [
      `--kubeconfig=${kubeconfigs['kube-router']}`,
      `--hostname-override=${layout.nodeName}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--enable-cni=false',
      '--enable-ipv6=false',
      '--health-port=0',
      '--metrics-port=0',
      `--service-cluster-ip-range=${layout.serviceCidr}`,
    ]);
    await waitFor(
      async () => (await run('iptables', ['-w', '5', '-S'])).stdout.includes(`-N ${KUBE_ROUTER_FORWARD_CHAIN}`),
      { what: "kube-router's NetworkPolicy chains", process: kubeRouter, timeoutMs: 60_000, intervalMs: 250 },
    );
    mark('networkPolicies');

    await kubectl(['apply', '-f', '-'], corednsManifest(NODE_IMAGES.coredns, layout.dnsServiceIp));
    await kubectl(
      ['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s'],
      undefined,
      200_000,
    );
    mark('dnsReady');
    await waitFor(
      async () => (await kubectl(['get', 'serviceaccount', 'default', '-o', 'name'], undefined, 5000)).trim() !== '',
      {
        what: 'the default ServiceAccount',
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    mark('serviceAccount');

    return {
      layout,
      kubeconfigPath: kubeconfigs['admin']!,
      server,
      caPem: readFileSync(pki.caCert, 'utf8'),
      state,
      binaries,
      timings,
      kubectl,
      importImages,
      own(resource) {
        if (resource.netns !== undefined) state.netns.push(resource.netns);
        if (resource.link !== undefined) state.links.push(resource.link);
        writeState(state);
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
