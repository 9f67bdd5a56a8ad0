import { pinned } from './versions.ts';

/**
 * Every version of an external binary or upstream artifact the tests use, in one place.
 * Change a version here and the next run builds (or asks for) that version.
 */
export const versions = {
  /** etcd server, built from its Go module (FACTS.md: Debian's 3.4 is too old for Kubernetes ≥ 1.31). */
  etcd: { module: 'go.etcd.io/etcd/server/v3', version: 'v3.6.16' },
  /** kube-apiserver, built from k8s.io/kubernetes with staging modules pinned to the matching v0.x. */
  kubeApiserver: { module: 'k8s.io/kubernetes', version: 'v1.36.3', staging: 'v0.36.3' },
  /** The Vault server (OpenBao): pinned in tools/embedded, shared with `npm start`. */
  vault: pinned.vault,
  /**
   * Upstream CRDs the chart tests install into kube-apiserver, read from these Go modules in the module cache
   * (never copied into the repository). The Tiltfile installs the same versions into kind.
   */
  crds: {
    gatewayApi: { module: 'sigs.k8s.io/gateway-api', version: 'v1.6.3', dir: 'config/crd/standard' },
    certManager: { module: 'github.com/cert-manager/cert-manager', version: 'v1.21.2', dir: 'deploy/crds' },
    cloudnativePg: { module: 'github.com/cloudnative-pg/cloudnative-pg', version: 'v1.29.1', dir: 'config/crd/bases' },
    /** The Barman Cloud plugin's ObjectStore (prod backups; barmanObjectStore is removed in CloudNativePG 1.32). */
    barmanCloud: {
      module: 'github.com/cloudnative-pg/plugin-barman-cloud',
      version: 'v0.15.0',
      dir: 'config/crd/bases',
    },
    /** prometheus-operator's CRDs (the observability chart's Prometheus, Alertmanager, monitors, rules). */
    prometheusOperator: {
      module: 'github.com/prometheus-operator/prometheus-operator',
      version: 'v0.85.0',
      dir: 'example/prometheus-operator-crd',
    },
  },
  /** The logging pipeline's engines and shipper: pinned in tools/embedded, shared with the benchmarks. */
  elasticsearch: pinned.elasticsearch,
  opensearch: pinned.opensearch,
  filebeat: pinned.filebeat,
  /** kube-score, built from its Go module like etcd; it lints manifests/prod (test/charts/kube-score.test.ts). */
  kubeScore: { module: 'github.com/zegl/kube-score', version: 'v1.20.0', command: 'cmd/kube-score' },
  /**
   * An S3-compatible server for the Vault backup drill (test/unsealer/backup.test.ts): Versity's gateway
   * (Apache-2.0) over a POSIX directory, built from its Go module. MinIO's server is AGPL-licensed: not used.
   */
  versitygw: { module: 'github.com/versity/versitygw', version: 'v1.8.0', command: 'cmd/versitygw' },
  /**
   * The kind the README's cluster script creates: this release's default node image (sigs.k8s.io/kind
   * pkg/apis/config/defaults/image.go), pinned in kind-config.yaml; its containerd config format decides the
   * registry patch's plugin key (checked by test/charts/tiltfile-commands.test.ts from the module's own files).
   */
  kind: {
    module: 'sigs.k8s.io/kind',
    version: 'v0.33.0',
    nodeImage: 'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5',
  },
  /**
   * The real node's components (tools/embedded/src/node/), built from Go modules (FACTS.md "A real node"). The kubelet,
   * controller-manager, scheduler, kube-proxy and kubectl come from `kubeApiserver`'s wrapper module.
   */
  node: {
    containerd: { module: 'github.com/containerd/containerd/v2', version: 'v2.4.2' },
    /** The proxy serves v2.1.0 only (FACTS.md); firewall only, as the NetworkPolicy engine. */
    kubeRouter: { module: 'github.com/cloudnativelabs/kube-router/v2', version: 'v2.1.0' },
    coredns: { module: 'github.com/coredns/coredns', version: 'v1.15.0' },
    /**
     * The Gateway API implementation of manifests/dev, the Tiltfile and the node (FACTS.md: Envoy is C++). v3.6.12, not
     * the newest v3.7.x: v3.7's go.mod needs lego v5 DNS-provider SDKs the module proxy here refuses (403), and a
     * replace of a directory its module zip does not hold; v3.6.12 (lego v4) builds from served modules in ~1 min warm.
     */
    traefik: { module: 'github.com/traefik/traefik/v3', version: 'v3.6.12' },
    /** What the Tiltfile installs cert-manager with (`helm upgrade --install`). */
    helm: { module: 'helm.sh/helm/v3', version: 'v3.22.0' },
  },
  /** Upstream Go modules our helpers in tools/embedded/go/ are built from (their go.mod pins the same). */
  /**
   * The monitoring stack's binaries, built from Go modules (FACTS.md, "Observability and logging components"):
   * Prometheus v3.X.Y is tagged v0.3XX.Y; Alertmanager ≥ v0.32 lacks its UI bundle in the module zip. The
   * prometheus-operator module also holds the CRDs the charts need (`example/prometheus-operator-crd/`).
   */
  observability: {
    prometheus: { module: 'github.com/prometheus/prometheus', version: 'v0.316.0', display: 'v3.16.0' },
    alertmanager: { module: 'github.com/prometheus/alertmanager', version: 'v0.31.1' },
    operator: {
      module: 'github.com/prometheus-operator/prometheus-operator',
      version: 'v0.85.0',
      crdDir: 'example/prometheus-operator-crd',
    },
    /** The Go twin of @grafana/grafana-foundation-sdk (npm v0.0.21; v0.0.22 is the only Go version listed). */
    grafanaSdk: { module: 'github.com/grafana/grafana-foundation-sdk/go', version: 'v0.0.22' },
  },
  chartsTools: {
    cyclonus: { module: 'github.com/mattfenwick/cyclonus', version: 'v0.5.6' },
    starlark: { module: 'go.starlark.net', version: 'v0.0.0-20260908191801-89a6a09411d5' },
    kind: { module: 'sigs.k8s.io/kind', version: 'v0.33.0' },
  },
} as const;
