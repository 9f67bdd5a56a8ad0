// The synthesized observability chart of each profile, and the files the real tools read, extracted from it.
import { Testing } from 'cdk8s';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { buildApp } from '../../charts-ts/src/app.ts';
import type { IRuleGroup } from '../../charts-ts/src/charts/observability/rules/rule.ts';
import { dev, prod, type Profile } from '../../charts-ts/src/profile.ts';
import type { K8sObject } from '../charts/objects.ts';

export const OBSERVABILITY_CHART = '07-observability';

export function observabilityObjects(profile: Profile): K8sObject[] {
  const chart = buildApp(profile).charts.find((c) => c.node.id === OBSERVABILITY_CHART);
  if (chart === undefined) throw new Error(`chart ${OBSERVABILITY_CHART} missing from app.ts`);
  return Testing.synth(chart) as K8sObject[];
}

export const profilesUnderTest = [dev, prod];

/** Every rule group of the synthesized PrometheusRules, as one Prometheus rule file. */
export function ruleGroups(objects: K8sObject[]): IRuleGroup[] {
  return objects
    .filter((o) => o.kind === 'PrometheusRule')
    .flatMap((o) => (o['spec'] as { groups: IRuleGroup[] }).groups);
}

export function writeRuleFile(dir: string, groups: IRuleGroup[], name = 'rules.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify({ groups }, { aliasDuplicateObjects: false }));
  return file;
}

/** Alertmanager's configuration file exactly as the chart's Secret holds it. */
export function alertmanagerYaml(objects: K8sObject[]): string {
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'alertmanager-config');
  if (secret === undefined) throw new Error('no alertmanager-config Secret');
  return (secret['stringData'] as Record<string, string>)['alertmanager.yaml']!;
}

export function alertmanagerConfigObject(objects: K8sObject[]): {
  receivers: {
    name: string;
    webhook_configs?: { url_file: string }[];
    email_configs?: { auth_password_file: string }[];
  }[];
} {
  return parse(alertmanagerYaml(objects)) as ReturnType<typeof alertmanagerConfigObject>;
}
