import { logging } from './names.ts';

/** Retention and shape of the log data streams per profile. */
export interface LogRetention {
  /** How long a document stays searchable (data stream lifecycle `data_retention`). */
  retention: string;
  shards: number;
  replicas: number;
}

export const retentionByProfile: Record<'dev' | 'prod', LogRetention> = {
  dev: { retention: '3d', shards: 1, replicas: 0 },
  prod: { retention: '30d', shards: 1, replicas: 1 },
};

type Mapping = Record<string, unknown>;
const keyword = (ignoreAbove = 1024): Mapping => ({ type: 'keyword', ignore_above: ignoreAbove });
// Core field types only (text, keyword, date, long, ip, object): ECS suggests match_only_text, wildcard and
// constant_keyword, but those live in optional modules, and the template must load on every engine that runs it.
const text: Mapping = { type: 'text', norms: false };
const object = (properties: Record<string, Mapping>): Mapping => ({ type: 'object', dynamic: false, properties });
/** Known fields nobody searches (kept in `_source` only), so no unknown key below them adds a mapping. */
const opaque: Mapping = { type: 'object', dynamic: false, enabled: true, properties: {} };

/**
 * Explicit mappings for `logs-cf-*`: every object is `dynamic: false`, so a service that logs new keys never grows
 * the mapping (no mapping explosion) — the keys stay in `_source`. Field names are ECS
 * (https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html).
 */
export function logMappings(): Mapping {
  return {
    dynamic: false,
    date_detection: false,
    properties: {
      '@timestamp': { type: 'date' },
      message: text,
      tags: keyword(),
      stream: keyword(16),
      data_stream: object({
        type: keyword(16),
        dataset: keyword(64),
        namespace: keyword(64),
      }),
      log: object({
        level: keyword(16),
        offset: { type: 'long' },
        file: object({ path: keyword() }),
      }),
      service: object({ name: keyword(256) }),
      host: object({ hostname: keyword(256), name: keyword(256) }),
      process: object({ pid: { type: 'long' } }),
      trace: object({ id: keyword(128) }),
      user: object({ id: keyword(128) }),
      source: object({ ip: { type: 'ip' } }),
      url: object({ path: keyword(2048) }),
      http: object({
        request: object({ id: keyword(128), method: keyword(16) }),
        response: object({ status_code: { type: 'long' } }),
      }),
      event: object({
        kind: keyword(32),
        action: keyword(128),
        outcome: keyword(16),
        reason: keyword(128),
        duration: { type: 'long' },
        ingested: { type: 'date' },
      }),
      error: object({
        type: keyword(256),
        message: text,
        stack_trace: text,
      }),
      kubernetes: object({
        namespace: keyword(256),
        node: object({ name: keyword(256) }),
        pod: object({ name: keyword(256), uid: keyword(64), ip: { type: 'ip' } }),
        container: object({ name: keyword(256), image: keyword(512) }),
        labels: opaque,
        annotations: opaque,
      }),
      container: object({ id: keyword(128), runtime: keyword(32), image: object({ name: keyword(512) }) }),
      agent: opaque,
      ecs: object({ version: keyword(16) }),
      input: opaque,
      cf: opaque,
    },
  };
}

/**
 * The composable index template that makes `logs-cf-*` a data stream with these mappings and, through the data
 * stream lifecycle, the profile's retention (Elasticsearch ≥ 8.14's replacement for an ILM policy on data
 * streams; `PUT _index_template/logs-cf`). Priority 500 beats Elasticsearch's built-in `logs-*-*` template (100).
 */
export function indexTemplate(profile: 'dev' | 'prod'): Mapping {
  const r = retentionByProfile[profile];
  return {
    index_patterns: [logging.pattern],
    data_stream: {},
    priority: 500,
    _meta: { managed_by: 'content-factory', description: 'bunyan → ECS documents from the cf-logs ingest pipeline' },
    template: {
      settings: {
        'index.number_of_shards': r.shards,
        'index.number_of_replicas': r.replicas,
        'index.mapping.total_fields.limit': 500,
      },
      mappings: logMappings(),
      lifecycle: { data_retention: r.retention },
    },
  };
}
