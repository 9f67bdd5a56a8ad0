import { dirname } from 'node:path';
import { logging } from './names.ts';

/**
 * Where Filebeat sends events: Logstash in the cluster. Tests use a file: Filebeat 7.17's Elasticsearch output
 * insists on Elastic's `GET /` and `/_license` answers, which neither engine that runs here gives (FACTS.md).
 */
export type FilebeatOutput =
  | { kind: 'logstash'; hosts: string[]; tls: { ca: string; certificate: string; key: string } | undefined }
  | { kind: 'file'; path: string; filename: string };

export interface FilebeatOptions {
  /** Glob of CRI-format container log files (`/var/log/containers/*.log` on a node). */
  paths: string[];
  output: FilebeatOutput;
  /**
   * Adds `kubernetes.*` from the API server (needs the node name and RBAC); off where no cluster exists.
   * `kubeConfig`: a kubeconfig file instead of the pod's in-cluster ServiceAccount. `logsPath`: the directory
   * whose file names (`<pod>_<namespace>_<container>-<container id>.log`) carry the container id the pods are
   * matched by (default: the kubelet's /var/log/containers/).
   */
  kubernetesMetadata: { node: string; kubeConfig?: string; logsPath?: string } | undefined;
  /** Where Filebeat keeps its registry (read offsets). */
  dataPath?: string;
  /** Its HTTP endpoint (`/` info, `/stats` metrics), for the kubelet's probes; off when undefined. */
  http?: { host: string; port: number };
}

/** Filebeat's own HTTP endpoint port (its documented default, elastic.co/guide/en/beats/filebeat/7.17/http-endpoint.html). */
export const FILEBEAT_HTTP_PORT = 5066;
/** Liveness: the beat answers (`GET /`, its info). Readiness: its metrics registry answers (`GET /stats`). */
export const filebeatProbePaths = { live: '/', ready: '/stats' } as const;

/**
 * filebeat.yml for Filebeat 7.17 as an object (YAML is a superset of JSON: `JSON.stringify` of it is a valid file).
 * The input is `filestream` with the `container` parser (https://www.elastic.co/guide/en/beats/filebeat/7.17/
 * filebeat-input-filestream.html#_container): it reads the CRI lines the kubelet writes, sets `@timestamp` from the
 * runtime's time and `stream`, and leaves the process's own line in `message` — parsing it is the ingest pipeline's
 * job (ingest-pipeline.ts), so Filebeat stays thin. Template and ILM setup are off: the data stream's template is
 * ours (index-template.ts).
 */
export function filebeatConfig(options: FilebeatOptions): Record<string, unknown> {
  const processors: Record<string, unknown>[] = [];
  if (options.kubernetesMetadata !== undefined) {
    processors.push({
      add_kubernetes_metadata: {
        host: options.kubernetesMetadata.node,
        ...(options.kubernetesMetadata.kubeConfig !== undefined
          ? { kube_config: options.kubernetesMetadata.kubeConfig }
          : {}),
        matchers: [
          {
            logs_path: {
              logs_path: options.kubernetesMetadata.logsPath ?? `${dirname(logging.containerLogGlob)}/`,
              resource_type: 'container',
            },
          },
        ],
      },
    });
  }
  processors.push({
    drop_fields: { fields: ['agent.ephemeral_id', 'agent.hostname', 'agent.id'], ignore_missing: true },
  });
  return {
    'filebeat.inputs': [
      {
        type: 'filestream',
        id: 'cf-containers',
        paths: options.paths,
        parsers: [{ container: { stream: 'all', format: 'cri' } }],
        prospector: { scanner: { check_interval: '1s' } },
        // New files are read from their start; rotated ones are followed by inode (filestream's default identity).
        close: { on_state_change: { inactive: '5m' } },
      },
    ],
    processors,
    ...outputSection(options.output),
    'setup.template.enabled': false,
    'setup.ilm.enabled': false,
    'logging.level': 'warning',
    'logging.json': true,
    ...(options.dataPath !== undefined ? { 'path.data': options.dataPath } : {}),
    ...(options.http !== undefined
      ? { 'http.enabled': true, 'http.host': options.http.host, 'http.port': options.http.port }
      : { 'http.enabled': false }),
  };
}

function outputSection(output: FilebeatOutput): Record<string, unknown> {
  switch (output.kind) {
    case 'logstash':
      return {
        'output.logstash': {
          hosts: output.hosts,
          ...(output.tls !== undefined
            ? {
                'ssl.certificate_authorities': [output.tls.ca],
                'ssl.certificate': output.tls.certificate,
                'ssl.key': output.tls.key,
              }
            : {}),
        },
      };
    case 'file':
      return {
        'output.file': {
          path: output.path,
          filename: output.filename,
          rotate_every_kb: 1_048_576,
          number_of_files: 2,
          codec: { json: { pretty: false } },
        },
      };
  }
}

/** The cluster's configuration: every container log of the node, to Logstash over mutual TLS. */
export function clusterFilebeatConfig(logstashHost: string, tlsDir: string): Record<string, unknown> {
  return filebeatConfig({
    paths: [logging.containerLogGlob],
    output: {
      kind: 'logstash',
      hosts: [`${logstashHost}:${logging.logstash.beatsPort}`],
      tls: { ca: `${tlsDir}/ca.crt`, certificate: `${tlsDir}/tls.crt`, key: `${tlsDir}/tls.key` },
    },
    kubernetesMetadata: { node: '${NODE_NAME}' },
    dataPath: '/usr/share/filebeat/data',
    // The pod's own address: the kubelet probes it there; the namespace's default-deny keeps other pods out.
    http: { host: '0.0.0.0', port: FILEBEAT_HTTP_PORT },
  });
}
