/**
 * Names the logging stack agrees on. Data streams follow Elastic's naming scheme `<type>-<dataset>-<namespace>`
 * (https://www.elastic.co/guide/en/ecs/current/ecs-data_stream.html): type `logs`, dataset `cf`, so every stream of
 * the platform matches `logs-cf-*`, the pattern the index template, the Kibana data view and the saved searches use.
 */
import { internalCa, ns } from '../../platform.ts';

export const logging = {
  namespace: ns.logging,
  /** Filebeat alone: it reads the node's log files (hostPath), which Pod Security `restricted` forbids. */
  shipperNamespace: ns.logShipper,
  /** The platform's internal CA (cert-manager ClusterIssuer, both profiles) signs TLS inside the stack. */
  caIssuer: internalCa.issuer,
  /** The ingest pipeline that turns a container's bunyan line into an ECS document (see ingest-pipeline.ts). */
  pipeline: 'cf-logs',
  dataStream: { type: 'logs', dataset: 'cf', namespace: 'default' },
  pattern: 'logs-cf-*',
  template: 'logs-cf',
  elasticsearch: {
    name: 'elasticsearch',
    httpPort: 9200,
    transportPort: 9300,
    image: 'docker.elastic.co/elasticsearch/elasticsearch:8.19.21',
    version: '8.19.21',
  },
  logstash: {
    name: 'logstash',
    beatsPort: 5044,
    apiPort: 9600,
    image: 'docker.elastic.co/logstash/logstash:8.19.21',
    version: '8.19.21',
  },
  kibana: { name: 'kibana', port: 5601, image: 'docker.elastic.co/kibana/kibana:8.19.21', version: '8.19.21' },
  filebeat: { name: 'filebeat', image: 'docker.elastic.co/beats/filebeat:7.17.29', version: '7.17.29' },
  /** Where the kubelet links every container's log file (the CRI format the container parser reads). */
  containerLogGlob: '/var/log/containers/*.log',
} as const;

/** `logs-cf-default`: the data stream Logstash (and the tests' Filebeat) write to. */
export function dataStreamName(): string {
  const { type, dataset, namespace } = logging.dataStream;
  return `${type}-${dataset}-${namespace}`;
}
