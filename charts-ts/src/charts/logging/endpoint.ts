import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { labels, selector } from '../../platform.ts';
import { logging } from './names.ts';

/**
 * A logging component's ServiceAccount (no API token mounted: Vault logins use the projected `vault` token) and
 * its ClusterIP Service on one named port, in cf-logging. Returns the metadata its workload shares.
 */
export function componentEndpoint(
  scope: Construct,
  component: { name: string; version: string },
  port: { name: string; number: number },
): { name: string; namespace: string; labels: Record<string, string> } {
  const { name, version } = component;
  const meta = { name, namespace: logging.namespace, labels: labels(name, 'logging', version) };
  new k8s.KubeServiceAccount(scope, `${name}-sa`, { metadata: meta, automountServiceAccountToken: false });
  new k8s.KubeService(scope, `${name}-service`, {
    metadata: meta,
    spec: {
      selector: selector(name),
      ports: [{ name: port.name, port: port.number, targetPort: k8s.IntOrString.fromNumber(port.number) }],
    },
  });
  return meta;
}
