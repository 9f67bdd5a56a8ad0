import test from 'ava';
import { ourNamespaces } from '../../charts-ts/src/platform.ts';
import { reachability } from '../support/charts-tools.ts';
import { both } from './objects.ts';
import { documented, peers } from './reachability-model.ts';

for (const s of both) {
  test(`${s.profile.name}: cyclonus' reachability matrix of the generated policies equals docs/network-model.md`, async (t) => {
    const policies = s.all.filter((o) => o.kind === 'NetworkPolicy');
    const list = peers(s);
    const byName = new Map(list.map((p) => [p.name, p]));
    const verdicts = await reachability(policies, list);
    t.is(verdicts.length, list.reduce((sum, p) => sum + p.ports.length, 0) * list.length);
    const isOurs = (name: string): boolean => ourNamespaces.includes(byName.get(name)!.namespace);
    const allowed = new Set(
      verdicts
        .filter((v) => v.allowed && (isOurs(v.from) || isOurs(v.to)))
        .map((v) => `${v.from} → ${v.to} ${v.port}/${v.protocol}`),
    );
    const want = documented(s.profile.name, list);
    t.deepEqual(
      {
        allowedButUndocumented: [...allowed].filter((x) => !want.has(x)).sort(),
        documentedButDenied: [...want].filter((x) => !allowed.has(x)).sort(),
      },
      { allowedButUndocumented: [], documentedButDenied: [] },
    );
  });

  test(`${s.profile.name}: every workload is isolated for ingress and egress by some policy`, async (t) => {
    const policies = s.all.filter((o) => o.kind === 'NetworkPolicy');
    const list = peers(s);
    const verdicts = await reachability(policies, list);
    for (const peer of list.filter((p) => ourNamespaces.includes(p.namespace))) {
      // Nothing from an unrelated namespace gets in, and nothing gets out to it.
      t.false(
        verdicts.some((v) => v.from === 'default/other' && v.to === peer.name && v.allowed),
        peer.name,
      );
      t.false(
        verdicts.some((v) => v.from === peer.name && v.to === 'default/other' && v.allowed),
        peer.name,
      );
    }
  });
}
