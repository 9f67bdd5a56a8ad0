import { Counter, Gauge, type Registry } from 'prom-client';

export interface TelegramMetrics {
  logins: Counter<'method' | 'outcome'>;
  floodWaits: Counter<'operation'>;
  connectedAccounts: Gauge<'pod'>;
  handovers: Counter<'kind'>;
  callTimeouts: Counter<'operation'>;
  limitRejections: Counter<'limit'>;
}

/** A counter registered nowhere yet (see `registerInto`). */
function counter<Label extends string>(name: string, help: string, labelNames: readonly Label[]): Counter<Label> {
  return new Counter({ name, help, labelNames, registers: [] });
}

/** The domain metrics; `registerInto` adds them to the app's registry once it exists. */
export function createTelegramMetrics(
  pod: string,
  connected: () => number,
): TelegramMetrics & { registerInto(registry: Registry): void } {
  const metrics: TelegramMetrics = {
    logins: counter(
      'telegram_logins_total',
      'Telegram logins that ended, by method (phone, qr) and outcome (connected, expired, or the error kind)',
      ['method', 'outcome'],
    ),
    floodWaits: counter('telegram_flood_waits_total', 'FLOOD_WAIT answers from Telegram, by operation', ['operation']),
    connectedAccounts: new Gauge({
      name: 'telegram_connected_accounts',
      help: 'Telegram accounts this pod holds connected',
      labelNames: ['pod'] as const,
      registers: [],
      collect() {
        this.set({ pod }, connected());
      },
    }),
    handovers: counter(
      'telegram_lease_handovers_total',
      'Leases this pod took over from another owner, by kind (account, login)',
      ['kind'],
    ),
    callTimeouts: counter(
      'telegram_call_timeouts_total',
      'Telegram calls that ran past their deadline, by port operation (open, sendCode, signIn, ...)',
      ['operation'],
    ),
    limitRejections: counter(
      'integration_limit_rejections_total',
      'Requests refused by a per-user or per-phone cap, by limit',
      ['limit'],
    ),
  };
  return {
    ...metrics,
    registerInto(registry: Registry) {
      for (const metric of Object.values(metrics)) registry.registerMetric(metric);
    },
  };
}
