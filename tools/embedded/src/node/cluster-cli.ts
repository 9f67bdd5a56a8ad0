// `npm run cluster`: the real node of test/e2e with manifests/dev deployed as `tilt up` deploys them, for a developer
// on a Linux machine without Docker or kind. Needs root. Prints how to reach the UI and the admin UIs; Ctrl-C tears
// everything down.
import { observabilityImages } from './observability-images.ts';
import { platformImages } from './prepare-node.ts';
import { startNode } from './node.ts';
import { applyDevManifests, installAddOns } from './platform.ts';
import { createVolumePool } from './storage.ts';

if (process.getuid?.() !== 0) {
  console.error(
    'npm run cluster needs root: it creates a bridge, cgroups, iptables rules and network namespaces.\n' +
      'Run it as root on a Linux machine (or use `tilt up` with kind, see README.md).',
  );
  process.exit(1);
}

const log = (line: string): void => console.log(`  ${line}`);
const started = Date.now();
console.log('building images (cached after the first run)…');
// The monitoring stack's own images too (Prometheus, Alertmanager, the operator): Grafana, kube-state-metrics and
// the ELK stack cannot be built here, so their pods stay pending on their images.
const images = [...(await platformImages(log)), ...(await observabilityImages(log))];
console.log('starting the node…');
const node = await startNode({ images: images.map((i) => i.archive), progress: log });
// On Ctrl-C, process.ts kills the node's processes and exits; the node's guard (node-reaper.ts) sees this process
// gone and tears the rest down from the state file: mounts, cgroups, chains, ipsets, links, sysctls.

await createVolumePool(node, 6, '2Gi');
console.log('installing add-ons and applying manifests/dev…');
await installAddOns(node, log);
await applyDevManifests(node);
const traefikIp = (
  await node.kubectl(['-n', 'traefik', 'get', 'service', 'traefik', '-o', 'jsonpath={.spec.clusterIP}'])
).trim();
const kubectl = `${node.binaries.kubectl} --kubeconfig ${node.kubeconfigPath}`;
console.log(`
ready in ${((Date.now() - started) / 1000).toFixed(0)} s (workloads keep starting; watch them below; Grafana,
kube-state-metrics, Elasticsearch, Logstash, Kibana and Filebeat have no image on this machine and stay pending)

  watch:      ${kubectl} get pods -A -w
  dev CA:     ${kubectl} -n cert-manager get secret cf-dev-ca -o 'jsonpath={.data.tls\\.crt}' | base64 -d > cf-dev-ca.crt
  UI:         curl --cacert cf-dev-ca.crt --resolve content-factory.localhost:443:${traefikIp} https://content-factory.localhost/
              (or add "${traefikIp} content-factory.localhost" to /etc/hosts, trust cf-dev-ca.crt, open it in a browser)
  Vault UI:   ${kubectl} -n cf-vault port-forward svc/vault 8200:8200  →  https://localhost:8200/ui
  logs:       ${node.state.dir}/logs

Ctrl-C tears everything down.`);
// Keeps running until a signal ends it.
setInterval(() => undefined, 1 << 30);
