import { PUBLIC_SECRET_LIKE_FIELDS, SECRET_FIELD_FRAGMENTS } from '@cf/kit/redact';

/**
 * The parsing contract, as an Elasticsearch ingest pipeline (`PUT _ingest/pipeline/cf-logs`): a container's log
 * line, as Filebeat's `container` parser hands it over (`message` = the line the process wrote), becomes an ECS
 * document. For our services that line is a bunyan record (`services/kit/src/logger.ts`):
 *
 * | bunyan            | ECS field                                   |
 * |-------------------|---------------------------------------------|
 * | `time`            | `@timestamp` (never the ingest time)        |
 * | `level` 10…60     | `log.level` trace/debug/info/warn/error/fatal |
 * | `name`            | `service.name`                              |
 * | `msg`             | `message`                                   |
 * | `hostname`, `pid` | `host.hostname`, `process.pid`              |
 * | `req_id`          | `trace.id` and `http.request.id`            |
 * | `method`, `path`, `status`, `ms` | `http.request.method`, `url.path`, `http.response.status_code`, `event.duration` (ns) |
 * | `audit`+`event`   | `event.kind: event`, `event.action`, `event.outcome` (`*.failure`, `*reuse*`, `*rejected*` → failure) |
 * | `userId`, `ip`, `reason` | `user.id`, `source.ip`, `event.reason` |
 * | `err.{name,message,stack}` | `error.{type,message,stack_trace}`  |
 * | anything else     | `cf.*` (kept in `_source`, not indexed: `dynamic: false`) |
 *
 * Field names that look secret by the kit's own rule (`SECRET_FIELD_FRAGMENTS`) are removed at any depth before
 * anything else, so a secret logged by a path that skipped the kit's redaction never reaches the index.
 * `event.ingested` records when the document was parsed (the lag measure). Lines that are not JSON keep their
 * text in `message` and the container runtime's time in `@timestamp` (set by Filebeat's container parser).
 *
 * Processors used: json, script (painless), date, remove, set — all in Elasticsearch's `ingest-common` and
 * `lang-painless` modules (and OpenSearch's, where the tests prove the pipeline).
 */
export function ingestPipeline(): IngestPipeline {
  return {
    description:
      'Content Factory: bunyan JSON lines from containers → ECS documents (see charts-ts/src/charts/logging)',
    processors: [
      {
        json: {
          field: 'message',
          target_field: 'bunyan',
          if: "ctx.message instanceof String && ctx.message.startsWith('{')",
          ignore_failure: true,
          tag: 'parse-bunyan',
        },
      },
      {
        script: {
          lang: 'painless',
          tag: 'drop-secret-fields',
          if: 'ctx.bunyan instanceof Map',
          source: SCRUB_SCRIPT,
          params: { public: [...PUBLIC_SECRET_LIKE_FIELDS], fragments: [...SECRET_FIELD_FRAGMENTS] },
        },
      },
      {
        date: {
          field: 'bunyan.time',
          target_field: '@timestamp',
          formats: ['ISO8601'],
          if: 'ctx.bunyan instanceof Map && ctx.bunyan.time != null',
          tag: 'timestamp-from-time',
        },
      },
      {
        script: {
          lang: 'painless',
          tag: 'bunyan-to-ecs',
          if: 'ctx.bunyan instanceof Map',
          source: MAP_SCRIPT,
          params: { moves: MOVES },
        },
      },
      { remove: { field: 'bunyan', ignore_missing: true } },
      { set: { field: 'event.ingested', value: '{{{_ingest.timestamp}}}' } },
    ],
    // A record that failed half-way may still hold unscrubbed fields, in `bunyan` and in the raw line: both go.
    on_failure: [
      { set: { field: 'error.message', value: 'ingest: {{{_ingest.on_failure_message}}}' } },
      {
        set: {
          field: 'message',
          value: 'JSON line withheld: the cf-logs pipeline failed on it',
          if: 'ctx.bunyan != null',
        },
      },
      { remove: { field: 'bunyan', ignore_missing: true } },
      { set: { field: 'event.ingested', value: '{{{_ingest.timestamp}}}' } },
    ],
  };
}

export interface IngestPipeline {
  description: string;
  processors: Record<string, Record<string, unknown>>[];
  on_failure: Record<string, Record<string, unknown>>[];
}

/** bunyan field → ECS path, moved as they are (values kept). */
const MOVES: [string, string][] = [
  ['name', 'service.name'],
  ['msg', 'message'],
  ['hostname', 'host.hostname'],
  ['pid', 'process.pid'],
  ['method', 'http.request.method'],
  ['path', 'url.path'],
  ['status', 'http.response.status_code'],
  ['userId', 'user.id'],
  ['ip', 'source.ip'],
  ['reason', 'event.reason'],
];

// Painless user functions see only their arguments (no `ctx`, no `params`), hence the explicit parameters.
// Substring tests rather than a regular expression: painless limits regex work by input length by default.
// Depth is bounded: a record nested deeper than 32 levels is cut there rather than walked.
const SCRUB_SCRIPT = `
boolean secret(String name, List publicNames, List fragments) {
  if (publicNames.contains(name)) { return false; }
  String lower = name.toLowerCase();
  for (def fragment : fragments) { if (lower.contains(fragment)) { return true; } }
  return false;
}
void scrub(def value, List publicNames, List fragments, int depth) {
  if (depth > 32) { return; }
  if (value instanceof Map) {
    Iterator it = value.entrySet().iterator();
    while (it.hasNext()) {
      def entry = it.next();
      if (secret(String.valueOf(entry.getKey()), publicNames, fragments)) { it.remove(); }
      else { scrub(entry.getValue(), publicNames, fragments, depth + 1); }
    }
  } else if (value instanceof List) {
    for (def item : value) { scrub(item, publicNames, fragments, depth + 1); }
  }
}
scrub(ctx.bunyan, params.public, params.fragments, 0);
`.trim();

const MAP_SCRIPT = `
void put(Map root, String path, def value) {
  String[] parts = path.splitOnToken('.');
  Map node = root;
  for (int i = 0; i < parts.length - 1; i++) {
    if (!(node.get(parts[i]) instanceof Map)) { node.put(parts[i], new HashMap()); }
    node = node.get(parts[i]);
  }
  node.put(parts[parts.length - 1], value);
}
Map b = ctx.bunyan;
for (def move : params.moves) {
  def value = b.remove(move[0]);
  if (value != null) { put(ctx, move[1], value); }
}
def level = b.remove('level');
if (level instanceof Number) {
  int l = level.intValue();
  put(ctx, 'log.level', l >= 60 ? 'fatal' : l >= 50 ? 'error' : l >= 40 ? 'warn' : l >= 30 ? 'info' : l >= 20 ? 'debug' : 'trace');
}
def reqId = b.remove('req_id');
if (reqId != null) { put(ctx, 'trace.id', reqId); put(ctx, 'http.request.id', reqId); }
def ms = b.remove('ms');
if (ms instanceof Number) { put(ctx, 'event.duration', (long) (ms.doubleValue() * 1000000)); }
def err = b.remove('err');
if (err instanceof Map) {
  if (err.name != null) { put(ctx, 'error.type', err.name); }
  if (err.message != null) { put(ctx, 'error.message', err.message); }
  if (err.stack != null) { put(ctx, 'error.stack_trace', err.stack); }
}
def isAudit = b.remove('audit');
def action = b.remove('event');
if (isAudit == true && action instanceof String) {
  put(ctx, 'event.kind', 'event');
  put(ctx, 'event.action', action);
  boolean failed = action.endsWith('.failure') || action.contains('reuse') || action.contains('rejected');
  put(ctx, 'event.outcome', failed ? 'failure' : 'success');
} else if (action != null) {
  put(ctx, 'cf.event', action);
}
b.remove('time');
b.remove('v');
if (!b.isEmpty()) {
  if (!(ctx.cf instanceof Map)) { ctx.cf = new HashMap(); }
  ctx.cf.putAll(b);
}
`.trim();

/** The ECS fields the pipeline writes (the index template maps each; the tests check both ways). */
export const PIPELINE_FIELDS = [
  '@timestamp',
  'message',
  'log.level',
  'trace.id',
  'http.request.id',
  'event.duration',
  'event.kind',
  'event.action',
  'event.outcome',
  'event.ingested',
  'error.type',
  'error.message',
  'error.stack_trace',
  ...MOVES.map(([, to]) => to),
] as const;
