/**
 * Alertmanager's configuration file (prometheus/alertmanager `config/config.go`, v0.31), generated from the
 * profile: one receiver per destination, routes by severity and namespace, grouping and inhibitions.
 * Secret values are never here: webhook URLs and the SMTP password are files rendered from Vault.
 */
import { ourNamespaces } from '../../platform.ts';
import type { ObservabilitySettings, Severity } from './settings.ts';
import { vaultAgent } from './stack.ts';

export interface Matchers {
  matchers: string[];
}

export interface Route extends Partial<Matchers> {
  receiver: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  routes?: Route[];
}

export interface Receiver {
  name: string;
  webhook_configs?: { url_file: string; send_resolved: boolean; max_alerts?: number; timeout?: string }[];
  email_configs?: {
    to: string;
    from: string;
    smarthost: string;
    auth_username: string;
    auth_password_file: string;
    require_tls: boolean;
    send_resolved: boolean;
  }[];
}

export interface InhibitRule {
  source_matchers: string[];
  target_matchers: string[];
  equal: string[];
}

export interface AlertmanagerConfig {
  global: { resolve_timeout: string; smtp_require_tls: boolean };
  route: Route;
  receivers: Receiver[];
  inhibit_rules: InhibitRule[];
}

/** Alerts a sealed Vault causes downstream: services cannot read secrets or get database logins. */
export const CAUSED_BY_SEALED_VAULT = [
  'HighErrorRate',
  'HighLatencyP99',
  'TelegramAccountsDisconnected',
  'PublishingBacklog',
  'PublishingFailures',
  'PostgresDown',
];

const severityMatcher = (severities: Severity[]): string =>
  severities.length === 1 ? `severity="${severities[0]}"` : `severity=~"${severities.join('|')}"`;

export const NULL_RECEIVER = 'null';

/** Where the agent renders a secret file for Alertmanager; `secret` is the key in Vault. */
export const secretFile = (key: string): string => `${vaultAgent.secretsDir}/${key}`;

/**
 * The route tree: alerts from our namespaces are grouped by alert name, namespace and service; each
 * destination gets a `continue` route for its severities; platform namespaces (cf-vault, cf-data) wait less
 * before the first notification because everything depends on them. Anything else goes nowhere (`null`).
 */
export function alertmanagerConfig(settings: ObservabilitySettings): AlertmanagerConfig {
  const r = settings.receivers;
  const receivers: Receiver[] = [{ name: NULL_RECEIVER }];
  const routes: Route[] = [];
  for (const w of r.webhooks) {
    receivers.push({
      name: w.name,
      webhook_configs: [{ url_file: secretFile(`${w.name}-url`), send_resolved: true, max_alerts: 50, timeout: '10s' }],
    });
    routes.push({ receiver: w.name, matchers: [severityMatcher(w.severities)], continue: true });
  }
  if (r.email !== undefined) {
    receivers.push({
      name: 'email',
      email_configs: [
        {
          to: r.email.to,
          from: r.email.from,
          smarthost: r.email.smarthost,
          auth_username: r.email.username,
          auth_password_file: secretFile('smtp-password'),
          require_tls: true,
          send_resolved: true,
        },
      ],
    });
    routes.push({ receiver: 'email', matchers: [severityMatcher(r.email.severities)], continue: true });
  }
  const ours = `namespace=~"${ourNamespaces.join('|')}"`;
  return {
    global: { resolve_timeout: '5m', smtp_require_tls: true },
    route: {
      receiver: NULL_RECEIVER,
      group_by: ['alertname', 'namespace', 'service'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        {
          receiver: NULL_RECEIVER,
          matchers: ['namespace=~"cf-vault|cf-data"'],
          group_wait: '10s',
          routes,
        },
        { receiver: NULL_RECEIVER, matchers: [ours], routes },
        // Cluster-wide alerts (no namespace label: VaultUnsealerFailing's aggregate, TelegramFloodWaitsSurge).
        { receiver: NULL_RECEIVER, matchers: ['namespace=""'], routes },
      ],
    },
    receivers,
    inhibit_rules: [
      {
        source_matchers: ['alertname="VaultSealed"'],
        target_matchers: [`alertname=~"${CAUSED_BY_SEALED_VAULT.join('|')}"`],
        equal: ['cluster'],
      },
      // The fast-burn page covers the slow-burn ticket of the same service.
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['alertname', 'service'],
      },
      {
        source_matchers: ['alertname="PostgresDown"'],
        target_matchers: ['alertname="PostgresReplicationLag"'],
        equal: ['namespace'],
      },
    ],
  };
}
