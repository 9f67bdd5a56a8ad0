import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { alertmanagerConfig } from '../../charts-ts/src/charts/observability/alertmanager-config.ts';
import { observability, type ObservabilitySettings } from '../../charts-ts/src/charts/observability/settings.ts';
import { dev } from '../../charts-ts/src/profile.ts';
import { startAlertmanager, startWebhookReceiver, type RunningAlertmanager } from '../support/alertmanager.ts';
import { resolveBinary } from '../support/binaries.ts';
import { scratchDir, waitFor } from '../support/process.ts';
import { alertmanagerYaml, observabilityObjects, profilesUnderTest } from './stack.ts';

const run = promisify(execFile);

/** Puts the files the Vault agent would render (receiver URLs, SMTP password) under `dir`, and points the config there. */
function withRenderedSecrets(yaml: string, dir: string, urls: Record<string, string>): string {
  const secrets = join(dir, 'secrets');
  mkdirSync(secrets, { recursive: true });
  for (const [name, url] of Object.entries(urls)) writeFileSync(join(secrets, `${name}-url`), url);
  writeFileSync(join(secrets, 'smtp-password'), 'not-a-real-password');
  return yaml.replaceAll('/vault/secrets/', `${secrets}/`);
}

for (const profile of profilesUnderTest) {
  test(`${profile.name}: amtool check-config accepts the generated Alertmanager configuration`, async (t) => {
    t.timeout(120_000);
    const dir = scratchDir('amtool');
    const file = join(dir, 'alertmanager.yaml');
    const urls = Object.fromEntries(
      observability(profile).receivers.webhooks.map((w) => [w.name, 'http://127.0.0.1:9/x']),
    );
    writeFileSync(file, withRenderedSecrets(alertmanagerYaml(observabilityObjects(profile)), dir, urls));
    const amtool = (await resolveBinary('amtool')).path;
    const { stdout } = await run(amtool, ['check-config', file], { timeout: 60_000 });
    t.regex(stdout, /SUCCESS/);
  });
}

test('the configuration in the chart names no secret: receivers read URLs and passwords from Vault-rendered files', (t) => {
  for (const profile of profilesUnderTest) {
    const yaml = alertmanagerYaml(observabilityObjects(profile));
    t.notRegex(yaml, /\burl:|auth_password:|https?:\/\//, profile.name);
    t.regex(yaml, /url_file: \/vault\/secrets\//, profile.name);
  }
});

/** A pager for critical alerts and a ticket queue for warnings, through the chart's own route tree. */
const routed: ObservabilitySettings = {
  ...observability(dev),
  receivers: {
    webhooks: [
      { name: 'pager', severities: ['critical'] },
      { name: 'tickets', severities: ['warning'] },
    ],
    email: undefined,
  },
};

async function withAlertmanager(
  fn: (
    am: RunningAlertmanager,
    hooks: {
      pager: Awaited<ReturnType<typeof startWebhookReceiver>>;
      tickets: Awaited<ReturnType<typeof startWebhookReceiver>>;
    },
  ) => Promise<void>,
): Promise<void> {
  const [pager, tickets] = [await startWebhookReceiver(), await startWebhookReceiver()];
  const dir = scratchDir('alertmanager');
  const yaml = withRenderedSecrets(stringify(alertmanagerConfig(routed), { aliasDuplicateObjects: false }), dir, {
    pager: pager.url,
    tickets: tickets.url,
  });
  const am = await startAlertmanager(yaml, dir);
  try {
    await fn(am, { pager, tickets });
  } finally {
    await am.stop();
    await pager.close();
    await tickets.close();
  }
}

const alert = (name: string, severity: string, labels: Record<string, string> = {}) => ({
  labels: { alertname: name, severity, cluster: 'dev', ...labels },
  annotations: { summary: name },
});

test('a real Alertmanager routes critical alerts to the pager webhook and warnings to the ticket webhook', async (t) => {
  t.timeout(180_000);
  await withAlertmanager(async (am, { pager, tickets }) => {
    await am.send([
      alert('UnsealKeysInsufficient', 'critical', { namespace: 'cf-vault', job: 'vault-unsealer' }),
      alert('PostgresReplicationLag', 'warning', { namespace: 'cf-data', pod: 'cf-postgres-2' }),
    ]);
    await waitFor(async () => pager.messages.length > 0 && tickets.messages.length > 0, {
      what: 'both webhooks to be notified',
      process: am.process,
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    t.deepEqual(pager.alertNames(), ['UnsealKeysInsufficient']);
    t.deepEqual(tickets.alertNames(), ['PostgresReplicationLag']);
    t.is(pager.messages[0]!.receiver, 'pager');
  });
});

test('a real Alertmanager inhibits the errors a sealed Vault causes, and delivers them when Vault is not sealed', async (t) => {
  t.timeout(240_000);
  const caused = alert('HighErrorRate', 'critical', { namespace: 'cf-apps', service: 'user-service' });
  await withAlertmanager(async (am, { pager }) => {
    await am.send([alert('VaultSealed', 'critical', { namespace: 'cf-vault', pod: 'vault-0' }), caused]);
    await waitFor(async () => pager.alertNames().includes('VaultSealed'), {
      what: 'VaultSealed to reach the pager',
      process: am.process,
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    // HighErrorRate's group (cf-apps) waits 30 s; give it that and a margin before concluding it was held back.
    await new Promise((resolve) => setTimeout(resolve, 45_000));
    t.deepEqual(pager.alertNames(), ['VaultSealed']);
    const held = (await (await fetch(`${am.url}/api/v2/alerts?filter=alertname%3D%22HighErrorRate%22`)).json()) as {
      status: { state: string; inhibitedBy: string[] };
    }[];
    t.is(held[0]?.status.state, 'suppressed');
    t.is(held[0]?.status.inhibitedBy.length, 1);
  });
  await withAlertmanager(async (am, { pager }) => {
    await am.send([caused]);
    await waitFor(async () => pager.alertNames().includes('HighErrorRate'), {
      what: 'HighErrorRate to reach the pager without VaultSealed',
      process: am.process,
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    t.deepEqual(pager.alertNames(), ['HighErrorRate']);
  });
});
