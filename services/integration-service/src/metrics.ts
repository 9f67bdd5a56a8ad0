import { Counter, Gauge, type Registry } from 'prom-client';

export interface TelegramMetrics {
  logins: Counter<'method' | 'outcome'>;
  floodWaits: Counter<'operation'>;
  connectedAccounts: Gauge<'pod'>;
  handovers: Counter<'kind'>;
  callTimeouts: Counter<'operation'>;
  limitRejections: Counter<'limit'>;
}

/** The domain metrics; `registerInto` adds them to the app's registry once it exists. */
export function createTelegramMetrics(
  pod: string,
  connected: () => number,
): TelegramMetrics & { registerInto(registry: Registry): void } {
  const metrics: TelegramMetrics = {
    logins: new Counter({
      name: 'telegram_logins_total',
      help: 'Telegram logins that ended, by method (phone, qr) and outcome (connected, expired, or the error kind)',
      labelNames: ['method', 'outcome'] as const,
      registers: [],
    }),
    floodWaits: new Counter({
      name: 'telegram_flood_waits_total',
      help: 'FLOOD_WAIT answers from Telegram, by operation',
      labelNames: ['operation'] as const,
      registers: [],
    }),
    connectedAccounts: new Gauge({
      name: 'telegram_connected_accounts',
      help: 'Telegram accounts this pod holds connected',
      labelNames: ['pod'] as const,
      registers: [],
      collect() {
        this.set({ pod }, connected());
      },
    }),
    handovers: new Counter({
      name: 'telegram_lease_handovers_total',
      help: 'Leases this pod took over from another owner, by kind (account, login)',
      labelNames: ['kind'] as const,
      registers: [],
    }),
    callTimeouts: new Counter({
      name: 'telegram_call_timeouts_total',
      help: 'Telegram calls that ran past their deadline, by port operation (open, sendCode, signIn, ...)',
      labelNames: ['operation'] as const,
      registers: [],
    }),
    limitRejections: new Counter({
      name: 'integration_limit_rejections_total',
      help: 'Requests refused by a per-user or per-phone cap, by limit',
      labelNames: ['limit'] as const,
      registers: [],
    }),
  };
  return {
    ...metrics,
    registerInto(registry: Registry) {
      for (const metric of Object.values(metrics)) registry.registerMetric(metric);
    },
  };
}
