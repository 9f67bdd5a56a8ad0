/**
 * What the monitoring stack needs that differs by profile, kept beside the charts that use it so the shared
 * profile stays small. Numbers: retention and storage sized for ≈ 5k series at a 30 s scrape interval
 * (≈ 1.5 bytes per sample after compression, Prometheus storage docs), with headroom.
 */
import type { Profile, Resources } from '../../profile.ts';

export interface Receivers {
  /** Webhook receivers by severity; the URL lives in Vault (`secret/observability/alertmanager`, key per name). */
  webhooks: { name: string; severities: Severity[] }[];
  /** E-mail through the platform's SMTP relay; the password lives in Vault (key `smtp_password`). */
  email: { to: string; from: string; smarthost: string; username: string; severities: Severity[] } | undefined;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface ObservabilitySettings {
  prometheus: { replicas: number; retention: string; retentionSize: string; storage: string; resources: Resources };
  alertmanager: { replicas: number; storage: string; resources: Resources };
  grafana: { replicas: number; resources: Resources };
  receivers: Receivers;
  /** How often targets are scraped and rules evaluated. */
  scrapeInterval: string;
}

const small: Resources = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } };

const dev: ObservabilitySettings = {
  prometheus: {
    replicas: 1,
    retention: '2d',
    retentionSize: '800MB',
    storage: '1Gi',
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  },
  alertmanager: { replicas: 1, storage: '100Mi', resources: small },
  grafana: {
    replicas: 1,
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  },
  receivers: { webhooks: [{ name: 'ops-webhook', severities: ['critical', 'warning', 'info'] }], email: undefined },
  scrapeInterval: '30s',
};

const prod: ObservabilitySettings = {
  prometheus: {
    replicas: 2,
    retention: '30d',
    // The size limit triggers before the volume fills (PVCAlmostFull would page first otherwise).
    retentionSize: '40GB',
    storage: '50Gi',
    resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
  },
  alertmanager: {
    replicas: 3,
    storage: '1Gi',
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  },
  grafana: {
    replicas: 1,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
  },
  receivers: {
    webhooks: [{ name: 'pager', severities: ['critical'] }],
    email: {
      to: 'ops@content-factory.example.com',
      from: 'alertmanager@content-factory.example.com',
      smarthost: 'smtp.content-factory.example.com:587',
      username: 'alertmanager',
      severities: ['critical', 'warning'],
    },
  },
  scrapeInterval: '30s',
};

export function observability(profile: Profile): ObservabilitySettings {
  return profile.name === 'prod' ? prod : dev;
}

/** Where Grafana and Alertmanager keep their secrets in Vault (KV v2 mount `secret`). */
export const vaultPaths = {
  grafana: 'observability/grafana',
  alertmanager: 'observability/alertmanager',
} as const;
