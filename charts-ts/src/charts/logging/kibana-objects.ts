import { logging } from './names.ts';

/**
 * Kibana saved objects, imported by the provisioning Job with `POST /api/saved_objects/_import?overwrite=true`
 * (idempotent: same ids every run). Shapes: https://www.elastic.co/guide/en/kibana/8.19/saved-objects-api-import.html
 */
export interface SavedObject {
  type: 'index-pattern' | 'search' | 'dashboard';
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
}

/** A saved search: the KQL query and the columns it shows (both checked against the index template). */
export interface SavedSearch {
  id: string;
  title: string;
  /** Kibana Query Language; every `field:` it names must be mapped. */
  query: string;
  columns: string[];
}

export const DATA_VIEW_ID = 'cf-logs';

export const savedSearches: readonly SavedSearch[] = [
  {
    id: 'cf-audit-trail',
    title: 'Audit trail',
    query: 'event.kind : "event"',
    columns: ['service.name', 'event.action', 'event.outcome', 'user.id', 'source.ip', 'event.reason', 'trace.id'],
  },
  {
    id: 'cf-errors-by-service',
    title: 'Errors by service',
    query: 'log.level : ("error" or "fatal")',
    columns: ['service.name', 'message', 'error.type', 'error.message', 'kubernetes.pod.name', 'trace.id'],
  },
  {
    id: 'cf-telegram-login-failures',
    title: 'Telegram login failures',
    query: 'service.name : "integration-service" and event.action : login* and event.outcome : "failure"',
    columns: ['event.action', 'event.reason', 'user.id', 'kubernetes.pod.name', 'trace.id'],
  },
];

function searchObject(search: SavedSearch): SavedObject {
  return {
    type: 'search',
    id: search.id,
    attributes: {
      title: search.title,
      columns: search.columns,
      sort: [['@timestamp', 'desc']],
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({
          query: { query: search.query, language: 'kuery' },
          filter: [],
          indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
        }),
      },
    },
    references: [{ name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: DATA_VIEW_ID }],
  };
}

/** The data view on `logs-cf-*` with `@timestamp` as its time field, the saved searches and one dashboard. */
export function kibanaSavedObjects(): SavedObject[] {
  const dataView: SavedObject = {
    type: 'index-pattern',
    id: DATA_VIEW_ID,
    attributes: { title: logging.pattern, name: 'Content Factory logs', timeFieldName: '@timestamp' },
    references: [],
  };
  const panels = savedSearches.map((search, index) => ({
    panelIndex: String(index + 1),
    gridData: { x: 0, y: index * 15, w: 48, h: 15, i: String(index + 1) },
    embeddableConfig: {},
    panelRefName: `panel_${index}`,
  }));
  const dashboard: SavedObject = {
    type: 'dashboard',
    id: 'cf-logs-overview',
    attributes: {
      title: 'Content Factory — logs overview',
      description: 'Audit trail, errors by service and Telegram login failures',
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
      timeRestore: true,
      timeFrom: 'now-24h',
      timeTo: 'now',
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }),
      },
    },
    references: savedSearches.map((search, index) => ({ name: `panel_${index}`, type: 'search', id: search.id })),
  };
  return [dataView, ...savedSearches.map(searchObject), dashboard];
}

/** The NDJSON body of the import request. */
export function savedObjectsNdjson(): string {
  return `${kibanaSavedObjects()
    .map((object) => JSON.stringify(object))
    .join('\n')}\n`;
}

/** Field names a KQL query names (`field : value`); wildcards in values are not fields. */
export function kqlFields(query: string): string[] {
  return [...query.matchAll(/([@\w][\w.]*)\s*:/g)].map((match) => match[1] ?? '');
}
