import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { disruptionBudget, spreadOverNodes } from '../../lib/availability.ts';
import { containerSecurity, podSecurity, resources } from '../../lib/workload.ts';
import type { Resources } from '../../profile.ts';
import { labels, selector } from '../../platform.ts';
import type { vaultSecretsInit } from './vault-secrets.ts';
import type { writableDir } from './writable.ts';

/**
 * The probes of a logging component: startup every 5 s for up to `startupFailures` × 5 s (a JVM's or Kibana's first
 * start; default 60 → 5 min), then liveness every 20 s that restarts only after 6 misses (2 min: a busy node is not
 * a dead one), and readiness every 10 s on the stricter `ready` endpoint.
 */
export interface LoggingProbes {
  live: k8s.HttpGetAction;
  ready: k8s.HttpGetAction;
  startupFailures?: number;
}

function probes(p: LoggingProbes): Pick<k8s.Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    startupProbe: { httpGet: p.live, periodSeconds: 5, failureThreshold: p.startupFailures ?? 60, timeoutSeconds: 3 },
    livenessProbe: { httpGet: p.live, periodSeconds: 20, failureThreshold: 6, timeoutSeconds: 3 },
    readinessProbe: { httpGet: p.ready, periodSeconds: 10, timeoutSeconds: 5 },
  };
}

/** What differs between the logging workloads' pods. */
export interface LoggingPodProps {
  name: string;
  version: string;
  image: string;
  /** The image's own user (the upstream Dockerfile's uid). */
  uid: number;
  resources: Resources;
  /** Where replicas may run: spread or strict anti-affinity; empty for one replica. */
  placement: Pick<k8s.PodSpec, 'affinity' | 'topologySpreadConstraints'>;
  /** Vault secrets put into files by an init container before the main one starts. */
  secrets: ReturnType<typeof vaultSecretsInit>;
  /** The directories the image writes to, as size-limited emptyDirs (the root filesystem stays read-only). */
  writable: ReturnType<typeof writableDir>[];
  /** Init containers after the secrets' one. */
  initContainers?: k8s.Container[];
  /** The main container's own fields: command, env, ports. */
  container: Pick<k8s.Container, 'command' | 'env' | 'ports'>;
  probes: LoggingProbes;
  /** The main container's mounts besides the secrets and writable directories. */
  mounts: k8s.VolumeMount[];
  /** The pod's volumes besides the secrets and writable directories. */
  volumes: k8s.Volume[];
}

/**
 * The pod template every logging workload shares: its own ServiceAccount without an API token (they talk to
 * Elasticsearch and Vault only), the image's user, restricted security, Vault secrets by an init container,
 * read-only root with emptyDirs for what the image writes, and the probes above.
 */
export function loggingPod(props: LoggingPodProps): k8s.PodTemplateSpec {
  return {
    metadata: { labels: labels(props.name, 'logging', props.version) },
    spec: {
      serviceAccountName: props.name,
      automountServiceAccountToken: false,
      securityContext: podSecurity(props.uid),
      ...props.placement,
      initContainers: [props.secrets.init, ...(props.initContainers ?? [])],
      containers: [
        {
          name: props.name,
          image: props.image,
          imagePullPolicy: 'IfNotPresent',
          ...props.container,
          resources: resources(props.resources),
          securityContext: containerSecurity(props.uid, true),
          ...probes(props.probes),
          volumeMounts: [...props.mounts, props.secrets.mount, ...props.writable.map((w) => w.mount)],
        },
      ],
      volumes: [...props.volumes, ...props.secrets.volumes, ...props.writable.map((w) => w.volume)],
    },
  };
}

/**
 * A Deployment of a logging pod (Logstash, Kibana: stateless): replicas spread over nodes and, from two replicas
 * on, a PodDisruptionBudget letting one go at a time. Object ids: the component's name and `<name>-pdb`.
 */
export function loggingDeployment(
  scope: Construct,
  metadata: k8s.ObjectMeta,
  settings: { replicas: number; resources: Resources },
  props: Omit<LoggingPodProps, 'placement' | 'resources'>,
): void {
  const matchLabels = selector(props.name);
  const placement = settings.replicas > 1 ? spreadOverNodes(matchLabels) : {};
  new k8s.KubeDeployment(scope, props.name, {
    metadata,
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels },
      template: loggingPod({ ...props, resources: settings.resources, placement }),
    },
  });
  if (settings.replicas > 1) disruptionBudget(scope, `${props.name}-pdb`, metadata, matchLabels, { maxUnavailable: 1 });
}
