// The parts of the logging stack that have no runner here (Logstash, Kibana: FACTS.md) checked against the single
// definitions they are generated from, and against the index template the real engines load.
import test from 'ava';
import { Testing } from 'cdk8s';
import { LoggingChart } from '../../charts-ts/src/charts/logging/chart.ts';
import { logMappings } from '../../charts-ts/src/charts/logging/index-template.ts';
import { PIPELINE_FIELDS } from '../../charts-ts/src/charts/logging/ingest-pipeline.ts';
import { kibanaSavedObjects, kqlFields, savedSearches } from '../../charts-ts/src/charts/logging/kibana-objects.ts';
import { logstashConfig } from '../../charts-ts/src/charts/logging/logstash.ts';
import { logstashPipeline } from '../../charts-ts/src/charts/logging/logstash-pipeline.ts';
import { dataStreamName, logging } from '../../charts-ts/src/charts/logging/names.ts';

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** Every field path the template maps (`a.b.c`), objects included. */
function mappedPaths(properties: Record<string, { properties?: Record<string, unknown> }>, prefix = ''): Set<string> {
  const out = new Set<string>();
  for (const [name, mapping] of Object.entries(properties)) {
    const path = `${prefix}${name}`;
    out.add(path);
    if (mapping.properties !== undefined) {
      for (const sub of mappedPaths(
        mapping.properties as Record<string, { properties?: Record<string, unknown> }>,
        `${path}.`,
      ))
        out.add(sub);
    }
  }
  return out;
}

const mapped = mappedPaths(
  (logMappings() as { properties: Record<string, { properties?: Record<string, unknown> }> }).properties,
);
const pipeline = logstashPipeline({
  elasticsearchUrl: 'https://es:9200',
  tls: { certificate: 'c', key: 'k', ca: 'a' },
});

function objects(profile: 'dev' | 'prod'): K8sObject[] {
  return Testing.synth(new LoggingChart(Testing.app(), 'logging', profile)) as K8sObject[];
}

test('the ingest pipeline writes only fields the index template maps', (t) => {
  for (const field of PIPELINE_FIELDS) t.true(mapped.has(field), field);
});

test('Logstash forwards beats input to the logs-cf data stream through the cf-logs ingest pipeline', (t) => {
  const { elasticsearch } = pipeline.output;
  t.is(elasticsearch['pipeline'], logging.pipeline);
  t.is(elasticsearch['data_stream'], true);
  t.is(
    `${String(elasticsearch['data_stream_type'])}-${String(elasticsearch['data_stream_dataset'])}-${String(elasticsearch['data_stream_namespace'])}`,
    dataStreamName(),
  );
  t.regex(dataStreamName(), new RegExp(`^${logging.pattern.replace('*', '.+')}$`));
  t.is(pipeline.input.beats['port'], logging.logstash.beatsPort);
});

test('Logstash names its Elasticsearch credentials only as environment references and requires client certificates', (t) => {
  const text = logstashConfig();
  t.regex(text, /user => "\$\{ELASTICSEARCH_USERNAME\}"/);
  t.regex(text, /password => "\$\{ELASTICSEARCH_PASSWORD\}"/);
  t.regex(text, /ssl_client_authentication => "required"/);
  t.regex(
    text,
    /^input \{\n {2}beats \{\n[\s\S]+\n {2}\}\n\}\noutput \{\n {2}elasticsearch \{\n[\s\S]+\n {2}\}\n\}\n$/,
  );
});

test("Kibana's data view is logs-cf-* on @timestamp, and every saved search names only mapped fields", (t) => {
  const dataView = kibanaSavedObjects().find((object) => object.type === 'index-pattern');
  t.is(dataView?.attributes['title'], logging.pattern);
  t.is(dataView?.attributes['timeFieldName'], '@timestamp');
  t.true(mapped.has('@timestamp'));
  for (const search of savedSearches) {
    for (const field of [...search.columns, ...kqlFields(search.query)])
      t.true(mapped.has(field), `${search.id}: ${field}`);
  }
});

test("Kibana's saved objects reference only objects that are imported with them", (t) => {
  const all = kibanaSavedObjects();
  const ids = new Set(all.map((object) => `${object.type}:${object.id}`));
  for (const object of all)
    for (const ref of object.references) t.true(ids.has(`${ref.type}:${ref.id}`), `${object.id} → ${ref.id}`);
  t.is(all.filter((object) => object.type === 'dashboard').length, 1);
});

test("Filebeat reads container logs with the CRI container parser and ships to Logstash's beats Service over mutual TLS", (t) => {
  const all = objects('dev');
  const config = JSON.parse(
    all.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'filebeat-config')?.data?.['filebeat.yml'] ?? '{}',
  ) as Record<string, unknown>;
  const input = (config['filebeat.inputs'] as Record<string, unknown>[])[0];
  t.deepEqual(input?.['parsers'], [{ container: { stream: 'all', format: 'cri' } }]);
  const output = config['output.logstash'] as Record<string, unknown>;
  t.deepEqual(output['hosts'], [`${logging.logstash.name}.${logging.namespace}.svc:${logging.logstash.beatsPort}`]);
  t.truthy(output['ssl.certificate']);
  const service = all.find((o) => o.kind === 'Service' && o.metadata.name === logging.logstash.name);
  t.deepEqual(
    (service?.spec?.['ports'] as { port: number }[]).map((p) => p.port),
    [logging.logstash.beatsPort],
  );
});

test('only Filebeat runs as root, in its own namespace, without privilege or writable root filesystem', (t) => {
  for (const profile of ['dev', 'prod'] as const) {
    for (const object of objects(profile)) {
      const template = (
        object.spec?.['template'] as
          { spec?: { containers: { securityContext?: Record<string, unknown> }[] } } | undefined
      )?.spec;
      if (template === undefined) continue;
      for (const container of template.containers) {
        const security = container.securityContext ?? {};
        t.is(security['privileged'], false, object.metadata.name);
        t.is(security['allowPrivilegeEscalation'], false, object.metadata.name);
        if (security['runAsUser'] === 0) {
          t.is(object.metadata.name, 'filebeat');
          t.is(object.metadata.namespace, logging.shipperNamespace);
          t.is(security['readOnlyRootFilesystem'], true);
        }
      }
    }
  }
});

test('no Secret data and no literal password appear in the logging manifests', (t) => {
  for (const profile of ['dev', 'prod'] as const) {
    const all = objects(profile);
    t.false(all.some((o) => o.kind === 'Secret'));
    const text = JSON.stringify(all);
    t.notRegex(text, /"password"\s*:\s*"[^%$]/);
  }
});

test('Elasticsearch runs 1 node in dev and 3 spread across nodes in prod, with a disruption budget', (t) => {
  const sts = (profile: 'dev' | 'prod'): K8sObject | undefined =>
    objects(profile).find((o) => o.kind === 'StatefulSet');
  t.is(sts('dev')?.spec?.['replicas'], 1);
  t.is(sts('prod')?.spec?.['replicas'], 3);
  t.true(objects('prod').some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'elasticsearch'));
});
