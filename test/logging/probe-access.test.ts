// The kubelet probes Elasticsearch without credentials: the chart's anonymous probe role (elasticsearch.ts) on a
// real Elasticsearch 8.19 with security on — the probe paths answer, and nothing else does without a login.
import test from 'ava';
import { anonymousProbeSettings, esProbePaths, probeRoles } from '../../charts-ts/src/charts/logging/elasticsearch.ts';
import { startElasticsearch, type SearchEngine } from '@cf/embedded/search-engines';

let es: SearchEngine;

/** A request as the kubelet makes it: no Authorization header, a deadline. */
async function anonymous(path: string): Promise<number> {
  const response = await fetch(`${es.url}${path}`, { signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return response.status;
}

test.before(async () => {
  es = await startElasticsearch(undefined, { settings: anonymousProbeSettings, roles: probeRoles });
  // Data a stolen probe must not read.
  const created = await es.request('POST', '/logs-cf-probecheck/_doc?refresh=true', {
    '@timestamp': new Date().toISOString(),
    message: 'private',
  });
  if (created.status >= 300) throw new Error(`indexing failed: ${created.status} ${JSON.stringify(created.body)}`);
});

test.after.always(async () => {
  await es?.stop();
});

test('the liveness and readiness paths answer 200 without credentials', async (t) => {
  t.is(await anonymous(esProbePaths.live), 200);
  t.is(await anonymous(esProbePaths.ready), 200);
});

test('without credentials nothing but the probe paths answers: documents, users and settings get 401', async (t) => {
  for (const path of [
    '/logs-cf-*/_search',
    '/_cluster/state',
    '/_security/user',
    '/_cluster/settings',
    '/_nodes',
    '/_cat/indices',
  ]) {
    t.is(await anonymous(path), 401, path);
  }
});

test('a client with credentials is unaffected by anonymous access', async (t) => {
  const found = await es.request('POST', '/logs-cf-probecheck/_search', { query: { match_all: {} } });
  t.is(found.status, 200);
  t.is((found.body as { hits: { total: { value: number } } }).hits.total.value, 1);
});
