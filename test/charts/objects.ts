// Synthesized objects of both profiles, for assertions (Testing.synth of every chart of the App).
import { Testing } from 'cdk8s';
import { buildApp, chartIds } from '../../charts-ts/src/app.ts';
import { logging } from '../../charts-ts/src/charts/logging/names.ts';
import { upstreamComponents } from '../../charts-ts/src/charts/observability/stack.ts';
import { vault } from '../../charts-ts/src/platform.ts';
import { profiles, type Profile } from '../../charts-ts/src/profile.ts';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface Synthesized {
  profile: Profile;
  /** chart id → its objects */
  charts: Map<string, K8sObject[]>;
  all: K8sObject[];
}

export function synthesize(profile: Profile): Synthesized {
  const app = buildApp(profile);
  const charts = new Map<string, K8sObject[]>();
  for (const id of chartIds) {
    const chart = app.charts.find((c) => c.node.id === id);
    if (chart === undefined) throw new Error(`chart ${id} missing`);
    charts.set(id, Testing.synth(chart) as K8sObject[]);
  }
  return { profile, charts, all: [...charts.values()].flat() };
}

export const both: Synthesized[] = profiles.map(synthesize);

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

export interface PodSpecLike {
  containers: ContainerLike[];
  initContainers?: ContainerLike[];
  securityContext?: { runAsUser?: number; runAsNonRoot?: boolean; runAsGroup?: number };
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; projected?: { sources: { serviceAccountToken?: { audience?: string } }[] } }[];
}

export interface ContainerLike {
  name: string;
  image: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsUser?: number;
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface Workload {
  object: K8sObject;
  pod: PodSpecLike;
  podLabels: Record<string, string>;
}

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((object) => {
      type Template = { template: { metadata: { labels: Record<string, string> }; spec: PodSpecLike } };
      // A CronJob's pod template sits one level deeper, in its jobTemplate.
      const spec =
        object.kind === 'CronJob'
          ? (object['spec'] as { jobTemplate: { spec: Template } }).jobTemplate.spec
          : (object['spec'] as Template);
      return { object, pod: spec.template.spec, podLabels: spec.template.metadata.labels };
    });
}

export function containersOf(pod: PodSpecLike): ContainerLike[] {
  return [...pod.containers, ...(pod.initContainers ?? [])];
}

export function find(objects: K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const found = objects.find(
    (o) =>
      o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace),
  );
  if (found === undefined) throw new Error(`no ${kind} ${namespace ?? '*'}/${name}`);
  return found;
}

/**
 * Programs the charts run from their upstream images at their own release (Vault, the monitoring and logging stacks): their
 * objects carry that release as `app.kubernetes.io/version`, their images are pulled as published (pinned), and
 * their configuration follows their own documentation rather than one of our config schemas.
 */
export const upstream: readonly { name: string; version: string; images: readonly string[] }[] = [
  { name: vault.name, version: vault.version, images: [vault.image] },
  ...upstreamComponents,
  ...[logging.elasticsearch, logging.logstash, logging.kibana, logging.filebeat].map((c) => ({
    name: c.name,
    version: c.version,
    images: [c.image],
  })),
];

export const upstreamImages: ReadonlySet<string> = new Set(upstream.flatMap((u) => u.images));
