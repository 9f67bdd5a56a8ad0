import test from 'ava';
import { dashboards, panelQueries } from '../../charts-ts/src/charts/observability/dashboards/index.ts';
import { allRules } from '../../charts-ts/src/charts/observability/rules/index.ts';
import { startFakeBotApi, type FakeBotApi } from '../../services/integration-service/src/bots/fake-bot-api.ts';
import { FakeTelegram } from '../../services/integration-service/src/telegram/fake.ts';
import { as, startIntegrationFixture, type Instance, type IntegrationFixture } from '../integration-service/fixture.ts';
import { connectAccount, managedChannel, postingBot, settled } from '../integration-service/publishing-fixture.ts';
import { waitFor } from '../support/process.ts';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.ts';
import { labelsNeeded, TARGET_LABELS } from './promql-labels.ts';

// A real integration-service, driven through the publishing paths (account and bot sends, a FLOOD_WAIT), scraped
// by a real Prometheus; the rules' and panels' PromQL is parsed by that Prometheus. A rule reading a name or a
// label the service does not export (e.g. `publishing_posts_total` while the service said
// `integration_publish_targets_total`) fails here, not silently in production.

const JOB = 'integration-service';
/** The metric families these tests make integration-service count, so their labels can be checked. */
const DRIVEN = [
  'publishing_attempts_total',
  'publishing_send_lateness_seconds_bucket',
  'publishing_flood_waits_total',
  'telegram_logins_total',
  'telegram_connected_accounts',
];

let f: IntegrationFixture;
let botApi: FakeBotApi;
let one: Instance;
let prometheus: RunningPrometheus;
/** Label names on the service's series, by metric name (from Prometheus' series API). */
const exported = new Map<string, Set<string>>();
/** Every metric name the service declares (`# TYPE`, histograms as their series), counted yet or not. */
const declared = new Set<string>();

async function publishingTraffic(fake: FakeTelegram): Promise<void> {
  const user = await f.user();
  const account = await connectAccount(fake, user, one);
  const channel = await managedChannel(fake, user, one, account);
  const bot = await postingBot(f, botApi, user, one, [channel.botChatId]);
  fake.channels.floodNext(channel.chatId, 1);
  const created = await as(user, one.url, 'POST', '/telegram/posts', {
    text: 'Counted',
    targets: [
      { channelId: channel.id, via: 'account' },
      { channelId: channel.id, via: 'bot', botId: bot.id },
    ],
  });
  if (created.status !== 201) throw new Error(`post: ${created.status}`);
  await settled(user, one, created.body['id'] as string, (ts) => ts.every((target) => target.state === 'sent'));
}

test.before(async () => {
  f = await startIntegrationFixture();
  botApi = await startFakeBotApi();
  const fake = new FakeTelegram();
  one = await f.instance(fake, { BOT_API_ROOT: botApi.url, PUBLISH_CHAT_SPACING_SECONDS: '0' });
  await publishingTraffic(fake);
  prometheus = await startPrometheus({
    ruleFiles: [],
    targets: [
      {
        job: JOB,
        address: one.pod,
        path: '/metrics',
        labels: { namespace: 'cf-apps', pod: 'integration-service-0' },
      },
    ],
  });
  await waitFor(async () => (await prometheus.query(`up{job="${JOB}"} == 1`)).length === 1, {
    what: 'integration-service to be scraped',
    process: prometheus.process,
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  const series = await prometheus.api<Record<string, string>[]>(
    `series?${new URLSearchParams({ 'match[]': `{job="${JOB}"}` })}`,
  );
  const text = await (await fetch(`${one.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    for (const n of type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])
      declared.add(n);
  }
  for (const labels of series) {
    const { __name__: name, ...rest } = labels;
    const set = exported.get(name!) ?? new Set<string>();
    for (const label of Object.keys(rest)) set.add(label);
    exported.set(name!, set);
  }
});

test.after.always(async () => {
  await prometheus?.stop();
  await f?.stop();
  await botApi?.close();
});

/** Every PromQL expression of the rules and the dashboards, with where it comes from. */
function expressions(): { where: string; expr: string }[] {
  return [
    ...allRules().map((r) => ({ where: r.record ?? r.alert ?? '?', expr: String(r.expr) })),
    ...Object.entries(dashboards()).flatMap(([file, d]) =>
      panelQueries(d).map((q) => ({ where: `${file} "${q.panel}"`, expr: q.expr })),
    ),
  ];
}

test('the traffic made integration-service count every metric family it drives', (t) => {
  t.deepEqual(
    DRIVEN.filter((metric) => !exported.has(metric)),
    [],
  );
});

test('every label a rule or panel reads on an integration-service metric is one the service exports', async (t) => {
  const wrong: string[] = [];
  const unchecked = new Set<string>();
  for (const { where, expr } of expressions()) {
    for (const [metric, labels] of await labelsNeeded(prometheus, expr)) {
      const has = exported.get(metric);
      if (has === undefined) {
        if (declared.has(metric)) unchecked.add(metric);
        continue;
      }
      const missing = [...labels].filter((label) => !has.has(label) && !TARGET_LABELS.has(label));
      if (missing.length > 0) wrong.push(`${where}: ${metric} has no label ${missing.join(', ')}`);
    }
  }
  for (const metric of unchecked) t.log(`${metric}: declared, nothing counted by this traffic; labels unchecked`);
  t.deepEqual(wrong, []);
});

test('every integration-service metric a rule or panel names is one the service declares', async (t) => {
  const named = new Set<string>();
  for (const { expr } of expressions())
    for (const metric of (await labelsNeeded(prometheus, expr)).keys()) named.add(metric);
  const recorded = new Set(allRules().flatMap((r) => (r.record !== undefined ? [r.record] : [])));
  t.deepEqual(
    [...named].filter((m) => /^(publishing|integration|telegram)_/.test(m) && !recorded.has(m) && !declared.has(m)),
    [],
  );
});
