import { ApiObject, App, YamlOutputType } from 'cdk8s';
import { AppsChart } from './charts/apps.ts';
import { ClusterChart } from './charts/cluster.ts';
import { DataChart } from './charts/data.ts';
import { LoggingChart } from './charts/logging/chart.ts';
import { NamespacesChart } from './charts/namespaces.ts';
import { ObservabilityChart } from './charts/observability/chart.ts';
import { NetworkPoliciesChart } from './charts/network-policies.ts';
import { TlsEntryChart } from './charts/tls-entry.ts';
import { VaultChart } from './charts/vault.ts';
import { VERSION } from './platform.ts';
import type { Profile } from './profile.ts';

const VERSION_LABEL = 'app.kubernetes.io/version';

/** Chart ids double as file names; the number prefix is the apply order (`kubectl apply -f manifests/dev`). */
export const chartIds = [
  '00-cluster',
  '01-namespaces',
  '02-network-policies',
  '03-data',
  '04-vault',
  '05-apps',
  '06-tls-entry',
  '07-observability',
  '08-logging',
] as const;

/** Every chart of one profile in an App; `outdir` is where `app.synth()` writes one file per chart. */
export function buildApp(profile: Profile, outdir?: string): App {
  const app = new App({
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
    outputFileExtension: '.yaml',
    ...(outdir !== undefined ? { outdir } : {}),
  });
  const [cluster, namespaces, policies, data, vault, apps, tlsEntry, observability, logging] = chartIds;
  new ClusterChart(app, cluster, profile);
  new NamespacesChart(app, namespaces);
  new NetworkPoliciesChart(app, policies, profile);
  new DataChart(app, data, profile);
  new VaultChart(app, vault, profile);
  new AppsChart(app, apps, profile);
  new TlsEntryChart(app, tlsEntry, profile);
  new ObservabilityChart(app, observability, profile);
  new LoggingChart(app, logging, profile.name);
  stampVersion(app);
  return app;
}

/** `app.kubernetes.io/version` on every object: the platform's release unless the object names its own (Vault). */
function stampVersion(app: App): void {
  for (const chart of app.charts) {
    for (const child of chart.node.findAll()) {
      if (child instanceof ApiObject && child.metadata.getLabel(VERSION_LABEL) === undefined) {
        child.metadata.addLabel(VERSION_LABEL, VERSION);
      }
    }
  }
}
