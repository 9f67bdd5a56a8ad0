// Configuration files of the node's components. Every path is inside the run's directory and every port is
// chosen per run; the settings and why each is needed are in FACTS.md ("A real node").

/** Addresses and names of one node run. */
export interface NodeLayout {
  id: string;
  dir: string;
  nodeName: string;
  bridge: string;
  /** The pods' /24; `.1` is the bridge's (the node's) address. */
  podCidr: string;
  nodeIp: string;
  /**
   * The API server's address: a /32 on the bridge inside kind's node network (172.16.0.0/12), so the dev profile's
   * API-server egress policies (charts-ts profile.ts `kindNodeNetwork`, ports 443/6443) match it after kube-proxy's
   * DNAT as they match kind's control-plane node.
   */
  apiIp: string;
  /** The Services' /24; `.1` is `kubernetes`, `.10` is `kube-dns`. */
  serviceCidr: string;
  apiServiceIp: string;
  dnsServiceIp: string;
  cgroupRoot: string;
  ports: {
    etcd: number;
    etcdPeer: number;
    api: number;
    kubelet: number;
    kubeletHealthz: number;
    proxyHealthz: number;
    proxyMetrics: number;
  };
}

/** containerd 2.4 (config version 4) with CRI, local pause image, no NRI socket, netns under its own state. */
export function containerdConfig(layout: NodeLayout, pauseImage: string): string {
  const d = `${layout.dir}/containerd`;
  return `version = 4
root = '${d}/root'
state = '${d}/state'
temp = '${d}/tmp'
imports = []
disabled_plugins = ['io.containerd.nri.v1.nri', 'io.containerd.tracing.processor.v1.otlp', 'io.containerd.internal.v1.tracing', 'io.containerd.image-verifier.v1.bindir']

[plugins]
  [plugins.'io.containerd.server.v1.grpc']
    address = '${d}/containerd.sock'
  [plugins.'io.containerd.server.v1.ttrpc']
    address = '${d}/containerd.sock.ttrpc'
  [plugins.'io.containerd.server.v1.debug']
    address = ''
  [plugins.'io.containerd.server.v1.metrics']
    address = ''
  [plugins.'io.containerd.internal.v1.opt']
    path = '${d}/opt'
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '${pauseImage}'
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    disable_apparmor = true
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = '/usr/sbin/runc'
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/usr/lib/cni']
      conf_dir = '${layout.dir}/cni/net.d'
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
`;
}

/** The bridge network: no masquerade (nothing is meant to leave), IPAM state in the run's directory. */
export function cniConfig(layout: NodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: `cf-node-${layout.id}`,
      plugins: [
        {
          type: 'bridge',
          bridge: layout.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: layout.podCidr, gateway: layout.nodeIp }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: `${layout.dir}/cni/ipam`,
          },
        },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(
  layout: NodeLayout,
  pki: { caCert: string; kubeletServingCert: string; kubeletServingKey: string },
): string {
  const zero = '"0%"';
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${layout.nodeIp}
port: ${layout.ports.kubelet}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${layout.ports.kubeletHealthz}
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: ${pki.caCert} }
authorization: { mode: Webhook }
tlsCertFile: ${pki.kubeletServingCert}
tlsPrivateKeyFile: ${pki.kubeletServingKey}
containerRuntimeEndpoint: unix://${layout.dir}/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: ${layout.cgroupRoot}
failCgroupV1: false
failSwapOn: false
protectKernelDefaults: false
makeIPTablesUtilChains: false
oomScoreAdj: 0
# No eviction and no image GC: images are imported, never pulled back (nothing here reaches a registry).
evictionHard: { memory.available: ${zero}, nodefs.available: ${zero}, nodefs.inodesFree: ${zero}, imagefs.available: ${zero}, imagefs.inodesFree: ${zero} }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# Pods get CoreDNS and no upstream resolver: a query outside cluster.local never leaves the machine.
resolvConf: ""
clusterDNS: [${layout.dnsServiceIp}]
clusterDomain: cluster.local
podLogsDir: ${layout.dir}/pod-logs
serializeImagePulls: false
maxPods: 110
`;
}

export function kubeProxyConfig(layout: NodeLayout, kubeconfig: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: ${layout.nodeName}
clusterCIDR: ${layout.podCidr}
bindAddress: ${layout.nodeIp}
healthzBindAddress: 127.0.0.1:${layout.ports.proxyHealthz}
metricsBindAddress: 127.0.0.1:${layout.ports.proxyMetrics}
nodePortAddresses: [${layout.nodeIp}/32]
clientConnection: { kubeconfig: ${kubeconfig} }
iptables: { localhostNodePorts: false, masqueradeAll: false }
# 0 leaves the host's conntrack settings as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
`;
}

/**
 * CoreDNS serving cluster.local (and reverse lookups) from the API; every other name is answered NXDOMAIN by
 * CoreDNS itself and logged — there is no `forward` plugin, so no query leaves the machine.
 */
export function corefile(): string {
  return `cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        ttl 5
    }
    cache 5
}
.:53 {
    log . "{type} {name} {rcode}"
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`;
}
