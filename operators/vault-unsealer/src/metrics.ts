import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Domain metrics. Labels are fixed enumerations and pod names: never a key, token or Vault answer. */
export interface UnsealerMetrics {
  unsealAttempts: Counter<'result'>;
  unsealSeconds: Histogram;
  sealedPods: Gauge;
  keysInsufficientPods: Gauge;
  lastSuccessfulReconcile: Gauge;
  reconciles: Counter<'result'>;
  leader: Gauge;
  initializations: Counter;
  configurationApplies: Counter<'result'>;
  configurationChanges: Counter;
  informerRestarts: Counter<'reason'>;
}

export function createUnsealerMetrics(registry: Registry): UnsealerMetrics {
  const registers = [registry];
  return {
    unsealAttempts: new Counter({
      name: 'vault_unsealer_unseal_attempts_total',
      help: 'Unseal rounds by result: success, insufficient (no threshold of working shares in the key set), error (Vault unreachable or failing)',
      labelNames: ['result'] as const,
      registers,
    }),
    unsealSeconds: new Histogram({
      name: 'vault_unsealer_unseal_seconds',
      help: 'Seconds from a Vault container running to Vault answering unsealed',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    sealedPods: new Gauge({
      name: 'vault_unsealer_sealed_pods',
      help: 'Vault pods last seen sealed or uninitialized',
      registers,
    }),
    keysInsufficientPods: new Gauge({
      name: 'vault_unsealer_keys_insufficient_pods',
      help: 'Sealed Vault pods waiting for a key Secret from which a threshold of working shares can be formed',
      registers,
    }),
    lastSuccessfulReconcile: new Gauge({
      name: 'vault_unsealer_last_successful_reconcile_timestamp_seconds',
      help: 'Unix time of the last reconcile that ended without error',
      registers,
    }),
    reconciles: new Counter({
      name: 'vault_unsealer_reconciles_total',
      help: 'Pod reconciles by result',
      labelNames: ['result'] as const,
      registers,
    }),
    leader: new Gauge({ name: 'vault_unsealer_leader', help: '1 while this replica holds the lease', registers }),
    initializations: new Counter({
      name: 'vault_unsealer_initializations_total',
      help: 'Vault initializations performed by this replica',
      registers,
    }),
    configurationApplies: new Counter({
      name: 'vault_unsealer_configuration_applies_total',
      help: 'Passes applying the declarative Vault configuration, by result: changed, unchanged, error',
      labelNames: ['result'] as const,
      registers,
    }),
    configurationChanges: new Counter({
      name: 'vault_unsealer_configuration_changes_total',
      help: 'Vault objects created or corrected by configuration passes',
      registers,
    }),
    informerRestarts: new Counter({
      name: 'vault_unsealer_informer_restarts_total',
      help: 'Pod informer restarts by reason: error, watchdog',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}
