import test from 'ava';
import { unsealerRoles, secretReferences } from '../../operators/vault-unsealer/src/rbac.ts';
import { VaultConfiguration } from '../../operators/vault-unsealer/src/vault-config.ts';
import { vaultConfiguration } from '../../charts-ts/src/vault-config.ts';
import { ns, unsealer } from '../../charts-ts/src/platform.ts';
import { both } from './objects.ts';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}

/** One line per (namespace, group, resource, name, verb): a canonical form in which two rule lists compare. */
function grants(namespace: string, rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? ['']) {
      for (const resource of rule.resources ?? []) {
        for (const name of rule.resourceNames ?? ['*']) {
          for (const verb of rule.verbs ?? []) out.push(`${namespace} ${group}/${resource} ${name} ${verb}`);
        }
      }
    }
  }
  return out;
}

for (const { profile, all } of both) {
  test(`${profile.name}: the unsealer's generated Roles grant exactly what the operator's own unsealerRoles() lists`, (t) => {
    const config = VaultConfiguration.parse(vaultConfiguration());
    const expected = unsealerRoles({
      namespace: ns.vault,
      leaseName: unsealer.lease,
      keySecret: unsealer.keySecret,
      keySecrets: profile.vault.keySecrets,
      secrets: secretReferences(config),
    }).flatMap((role) => grants(role.metadata?.namespace ?? '', (role.rules ?? []) as Rule[]));
    const boundToUnsealer = new Set(
      all
        .filter((o) => o.kind === 'RoleBinding')
        .filter((o) => ((o['subjects'] as { name: string }[] | undefined) ?? []).some((s) => s.name === unsealer.name))
        .map((o) => `${o.metadata.namespace}/${(o['roleRef'] as { name: string }).name}`),
    );
    const generated = all
      .filter((o) => o.kind === 'Role' && boundToUnsealer.has(`${o.metadata.namespace}/${o.metadata.name}`))
      .flatMap((o) => grants(o.metadata.namespace ?? '', (o['rules'] as Rule[]) ?? []));
    t.deepEqual([...new Set(generated)].sort(), [...new Set(expected)].sort());
    t.false(
      all.some((o) => o.kind === 'ClusterRoleBinding' && JSON.stringify(o['subjects'] ?? []).includes(unsealer.name)),
      'nothing cluster-wide',
    );
  });
}
