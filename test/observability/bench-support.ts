// What bench/observability.ts needs from the chart: the rule file of the dev profile.
import { observabilityObjects, profilesUnderTest, ruleGroups, writeRuleFile } from './stack.ts';

export function observabilityObjectsFor(dir: string): { ruleFile: string } {
  return { ruleFile: writeRuleFile(dir, ruleGroups(observabilityObjects(profilesUnderTest[0]!))) };
}
