// A real Alertmanager on 127.0.0.1 and a webhook receiver that records what it is sent.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { resolveBinary } from './binaries.ts';
import { startPrometheusServer } from '@cf/embedded/prometheus-server';
import { listenOnLoopback } from './loopback-server.ts';
import { freePort, scratchDir, type ManagedProcess } from './process.ts';

export interface RunningAlertmanager {
  url: string;
  process: ManagedProcess;
  dir: string;
  /** POST /api/v2/alerts (what Prometheus does). */
  send(alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Alertmanager with `configYaml` (clustering off), waiting for /-/ready. */
export async function startAlertmanager(
  configYaml: string,
  dir = scratchDir('alertmanager'),
): Promise<RunningAlertmanager> {
  const bin = (await resolveBinary('alertmanager')).path;
  const port = await freePort();
  const config = join(dir, 'alertmanager.yaml');
  writeFileSync(config, configYaml);
  const { url, process: proc } = await startPrometheusServer({
    bin,
    name: 'alertmanager',
    dir,
    port,
    config,
    flags: [`--storage.path=${join(dir, 'data')}`, '--cluster.listen-address=', '--log.level=debug'],
  });
  return {
    url,
    process: proc,
    dir,
    async send(alerts) {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`POST /api/v2/alerts: ${response.status} ${await response.text()}`);
    },
    stop: () => proc.stop(),
  };
}

/** One notification as Alertmanager's webhook_config sends it (its `webhook` package, version 4). */
export interface WebhookMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  groupLabels: Record<string, string>;
}

export interface WebhookReceiver {
  url: string;
  messages: WebhookMessage[];
  /** Alert names received so far, in order. */
  alertNames(): string[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const messages: WebhookMessage[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      try {
        messages.push(JSON.parse(body) as WebhookMessage);
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: `${listening.origin}/alerts`,
    messages,
    alertNames: () => messages.flatMap((m) => m.alerts.map((a) => a.labels['alertname'] ?? '')),
    close: listening.close,
  };
}
