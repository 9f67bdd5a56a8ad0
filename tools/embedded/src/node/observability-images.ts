// The images manifests/dev/07-observability.yaml runs that can be built here, under the names the manifest (and the
// operator it runs) use: Prometheus, Alertmanager, prometheus-operator and the operator's prometheus-config-reloader,
// each a static binary from its Go module (prometheus-tools.ts) in a scratch image whose entrypoint is where the
// upstream image keeps it (the operator writes only `args` for Prometheus and Alertmanager). Left out:
// kube-state-metrics (the module proxy refuses k8s.io/kube-state-metrics/v2: 403 on @v/list and on v2.17.0) and
// Grafana (not obtainable here, FACTS.md). The Vault agent sidecar is OpenBao's image (platform-images.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { resolveBinary, type BinaryName } from '../built-binaries.ts';
import { contextImage, type BuiltImage } from './platform-images.ts';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

/** The dev monitoring chart, one object per entry (what `kubectl apply -f` would read). */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

export function observabilityManifest(): ManifestObject[] {
  const file = join(repo, 'manifests', 'dev', '07-observability.yaml');
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as ManifestObject | null)
    .filter((o): o is ManifestObject => o !== null);
}

interface Container {
  image?: string;
  args?: string[];
}

function find(objects: ManifestObject[], kind: string, name: string): ManifestObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`manifests/dev/07-observability.yaml has no ${kind} ${name}`);
  return found;
}

/** The image names 07-observability uses for what is built here (read from it, so they cannot drift). */
export function observabilityImageNames(objects = observabilityManifest()): {
  prometheus: string;
  alertmanager: string;
  operator: string;
  configReloader: string;
} {
  const operator = (
    find(objects, 'Deployment', 'prometheus-operator').spec as {
      template: { spec: { containers: Container[] } };
    }
  ).template.spec.containers[0]!;
  const reloaderFlag = '--prometheus-config-reloader=';
  const reloader = operator.args?.find((a) => a.startsWith(reloaderFlag));
  if (operator.image === undefined || reloader === undefined)
    throw new Error('the prometheus-operator Deployment names no image or no --prometheus-config-reloader');
  return {
    prometheus: (find(objects, 'Prometheus', 'prometheus').spec as { image: string }).image,
    alertmanager: (find(objects, 'Alertmanager', 'alertmanager').spec as { image: string }).image,
    operator: operator.image,
    configReloader: reloader.slice(reloaderFlag.length),
  };
}

/** One binary as `/bin/<name>` of a scratch image, run as nobody like the upstream images. */
async function binaryImage(
  tag: string,
  binary: BinaryName,
  as: string,
  progress: (line: string) => void,
): Promise<BuiltImage> {
  const resolved = await resolveBinary(binary, (line) => progress(`[${binary}] ${line}`));
  return contextImage(
    tag,
    { [as]: resolved.path },
    `FROM scratch\nCOPY ${as} /bin/${as}\nUSER 65534:65534\nENTRYPOINT ["/bin/${as}"]\n`,
  );
}

/**
 * Builds (or finds, cached by tag) the monitoring images; waits for their binaries, which prepare builds (Prometheus'
 * cold build is long), and builds the config reloader if missing (the operator module's build cache makes it short).
 */
export async function observabilityImages(progress: (line: string) => void = () => {}): Promise<BuiltImage[]> {
  const names = observabilityImageNames();
  const built = [
    await binaryImage(names.prometheus, 'prometheus', 'prometheus', progress),
    await binaryImage(names.alertmanager, 'alertmanager', 'alertmanager', progress),
    await binaryImage(names.operator, 'prometheus-operator', 'operator', progress),
    await binaryImage(names.configReloader, 'prometheus-config-reloader', 'prometheus-config-reloader', progress),
  ];
  for (const image of built) progress(`${image.name}: ${image.seconds} s`);
  return built;
}
