/**
 * Vault's raft snapshots (issue 19): the CronJob `vault-backup` (charts-ts/src/charts/vault-backup.ts), watched
 * through kube-state-metrics' CronJob series, so nothing has to be pushed anywhere.
 */
import { vaultBackupAlertRules } from '../../vault-backup.ts';
import { RUNBOOK_BASE, type IRuleGroup } from './rule.ts';

export function backupRules(everyHours: number): IRuleGroup[] {
  const group = vaultBackupAlertRules({ everyHours });
  return [
    {
      name: 'vault-backup.alerts',
      rules: group.rules.map((rule) => ({
        ...rule,
        annotations: { ...rule.annotations, runbook_url: `${RUNBOOK_BASE}#${rule.alert.toLowerCase()}` },
      })),
    },
  ];
}
