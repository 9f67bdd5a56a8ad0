/**
 * Vault and vault-unsealer. Metric names: OpenBao telemetry (`vault_core_unsealed`, 1 while unsealed) and
 * operators/vault-unsealer/src/metrics.ts (`vault_unsealer_*`).
 */
import { alert, rateRecord, record, type IRuleGroup } from './rule.ts';

/** A reconcile older than this means the unsealer stopped working (it reconciles at least every 5 minutes). */
export const UNSEALER_STALE_SECONDS = 900;

export function vaultRules(): IRuleGroup[] {
  return [
    {
      name: 'vault.rules',
      rules: [
        record('cluster:vault_unsealer_sealed_pods:max', 'max(vault_unsealer_sealed_pods)'),
        rateRecord(['result'], 'vault_unsealer_unseal_attempts_total'),
      ],
    },
    {
      name: 'vault.alerts',
      rules: [
        alert({
          name: 'VaultSealed',
          expr: 'vault_core_unsealed == 0 or max without (instance, pod) (vault_unsealer_sealed_pods) > 0',
          for: '2m',
          severity: 'critical',
          summary: 'Vault is sealed',
          description:
            'A Vault pod has been sealed for 2 minutes: services cannot read secrets or database logins. ' +
            'vault-unsealer should have unsealed it; see VaultUnsealerFailing and UnsealKeysInsufficient.',
        }),
        alert({
          name: 'VaultUnsealerFailing',
          expr: [
            `time() - max(vault_unsealer_last_successful_reconcile_timestamp_seconds) > ${UNSEALER_STALE_SECONDS}`,
            'or sum(rate(vault_unsealer_reconciles_total{result="error"}[10m])) > 0',
            '  and sum(rate(vault_unsealer_reconciles_total{result!="error"}[10m])) == 0',
          ].join('\n'),
          for: '10m',
          severity: 'critical',
          summary: 'vault-unsealer has not reconciled successfully',
          description:
            'No successful reconcile for 15 minutes, or only failing reconciles for 10 minutes. Sealed Vault ' +
            'pods will stay sealed. Check its Warning events and logs.',
        }),
        alert({
          name: 'UnsealKeysInsufficient',
          expr: 'max without (instance, pod) (vault_unsealer_keys_insufficient_pods) > 0',
          for: '1m',
          severity: 'critical',
          summary: 'vault-unsealer lacks a threshold of working unseal keys',
          description:
            '{{ $value }} sealed Vault pods wait for unseal keys: the key Secret holds fewer working shares ' +
            'than the threshold. An operator must restore the keys (see the runbook).',
        }),
      ],
    },
  ];
}
