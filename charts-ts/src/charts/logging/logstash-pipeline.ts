import { dataStreamName, logging } from './names.ts';

/**
 * The Logstash pipeline as data: a beats input and an elasticsearch output that names the ingest pipeline, so the
 * parsing lives in Elasticsearch where it is tested (ingest-pipeline.ts) and Logstash only forwards. Rendered into
 * Logstash's configuration language by `renderLogstashPipeline` (https://www.elastic.co/guide/en/logstash/8.19/
 * configuration-file-structure.html). Secrets are `${VAR}` references resolved by Logstash from its environment,
 * never literals.
 */
export interface LogstashPipeline {
  input: { beats: Record<string, LogstashValue> };
  output: { elasticsearch: Record<string, LogstashValue> };
}

export type LogstashValue = string | number | boolean | string[];

export interface LogstashOptions {
  elasticsearchUrl: string;
  /** Paths inside the Logstash container. */
  tls: { certificate: string; key: string; ca: string };
}

export function logstashPipeline(options: LogstashOptions): LogstashPipeline {
  const { type, dataset, namespace } = logging.dataStream;
  return {
    input: {
      beats: {
        port: logging.logstash.beatsPort,
        ssl_enabled: true,
        ssl_certificate: options.tls.certificate,
        ssl_key: options.tls.key,
        ssl_certificate_authorities: [options.tls.ca],
        ssl_client_authentication: 'required',
      },
    },
    output: {
      elasticsearch: {
        hosts: [options.elasticsearchUrl],
        data_stream: true,
        data_stream_type: type,
        data_stream_dataset: dataset,
        data_stream_namespace: namespace,
        pipeline: logging.pipeline,
        user: '${ELASTICSEARCH_USERNAME}',
        password: '${ELASTICSEARCH_PASSWORD}',
        ssl_enabled: true,
        ssl_certificate_authorities: [options.tls.ca],
      },
    },
  };
}

/** `logs-cf-default`, where the output above writes (data_stream_type-dataset-namespace). */
export const logstashTarget = dataStreamName;

function value(v: LogstashValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((item) => JSON.stringify(item)).join(', ')}]`;
  return String(v);
}

function block(name: string, settings: Record<string, LogstashValue>, indent: string): string {
  const lines = Object.entries(settings).map(([key, v]) => `${indent}    ${key} => ${value(v)}`);
  return `${indent}  ${name} {\n${lines.join('\n')}\n${indent}  }`;
}

/** Logstash's config language for the pipeline above (`pipeline/cf.conf`). */
export function renderLogstashPipeline(pipeline: LogstashPipeline): string {
  return [
    `input {\n${block('beats', pipeline.input.beats, '')}\n}`,
    `output {\n${block('elasticsearch', pipeline.output.elasticsearch, '')}\n}`,
    '',
  ].join('\n');
}
