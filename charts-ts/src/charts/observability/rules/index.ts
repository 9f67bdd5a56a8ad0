import { domainRules } from './domain.ts';
import { platformRules } from './platform.ts';
import { redRules } from './red.ts';
import type { IRule, IRuleGroup } from './rule.ts';
import { vaultRules } from './vault.ts';
import { backupRules } from './backup.ts';

export { RUNBOOK_BASE } from './rule.ts';

/**
 * Every rule group, one PrometheusRule per entry (name → groups). `backupEveryHours` is the profile's Vault
 * snapshot schedule (the backup alert fires past twice it); without one (no backups) there is no backup group.
 */
export function ruleSets(backupEveryHours: number | undefined = 24): Record<string, IRuleGroup[]> {
  return {
    red: redRules(),
    vault: vaultRules(),
    domain: domainRules(),
    platform: platformRules(),
    ...(backupEveryHours === undefined ? {} : { backup: backupRules(backupEveryHours) }),
  };
}

export function allRules(): IRule[] {
  return Object.values(ruleSets())
    .flat()
    .flatMap((g) => g.rules ?? []);
}

/** Alert names, each once (HighErrorRate has two severities). */
export function alertNames(): string[] {
  return [...new Set(allRules().flatMap((r) => (r.alert === undefined ? [] : [r.alert])))];
}
