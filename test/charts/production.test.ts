// Issue 20: what a platform team signs off on — spread, budgets, priority, autoscaling, labels, images, egress.
import test from 'ava';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageOf, ns, unsealer, vault, VERSION } from '../../charts-ts/src/platform.ts';
import { dev, PLACEHOLDER_REGISTRY, prod, withEnvironment } from '../../charts-ts/src/profile.ts';
import { synthAll } from '../../charts-ts/src/synth.ts';
import {
  both,
  containersOf,
  find,
  synthesize,
  upstream,
  upstreamImages,
  workloads,
  type K8sObject,
} from './objects.ts';
import { logging } from '../../charts-ts/src/charts/logging/names.ts';

interface PodScheduling {
  priorityClassName?: string;
  affinity?: {
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string }[];
      preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { topologyKey: string } }[];
    };
  };
  topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string; maxSkew: number }[];
}

/** Quorum members (raft voters, Elasticsearch's master-eligible nodes): never two on one node. */
const quorum: readonly string[] = [`${ns.vault}/${vault.name}`, `${ns.logging}/${logging.elasticsearch.name}`];

const scheduling = (o: K8sObject): PodScheduling => (o['spec'] as { template: { spec: PodScheduling } }).template.spec;
const replicasOf = (o: K8sObject, all: K8sObject[]): number => {
  const hpa = all.find(
    (h) =>
      h.kind === 'HorizontalPodAutoscaler' &&
      (h['spec'] as { scaleTargetRef: { name: string } }).scaleTargetRef.name === o.metadata.name,
  );
  return hpa !== undefined
    ? (hpa['spec'] as { minReplicas: number }).minReplicas
    : ((o['spec'] as { replicas?: number }).replicas ?? 1);
};

for (const { profile, all } of both) {
  const p = profile.name;

  test(`${p}: every workload with more than one replica spreads over nodes (hard) and zones (soft)`, (t) => {
    const replicated = workloads(all).filter((w) => replicasOf(w.object, all) > 1);
    t.is(replicated.length > 0, p === 'prod');
    for (const w of replicated) {
      const spec = scheduling(w.object);
      const name = w.object.metadata.name;
      const byKey = new Map((spec.topologySpreadConstraints ?? []).map((c) => [c.topologyKey, c]));
      if (quorum.includes(`${w.object.metadata.namespace}/${name}`)) {
        t.deepEqual(
          spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.map((r) => r.topologyKey),
          ['kubernetes.io/hostname'],
        );
        continue;
      }
      t.is(byKey.get('kubernetes.io/hostname')?.whenUnsatisfiable, 'DoNotSchedule', name);
      t.is(byKey.get('topology.kubernetes.io/zone')?.whenUnsatisfiable, 'ScheduleAnyway', name);
      t.truthy(spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution, name);
    }
  });

  test(`${p}: Vault's raft voters never share a node (required anti-affinity)`, (t) => {
    const terms = scheduling(find(all, 'StatefulSet', vault.name, ns.vault)).affinity?.podAntiAffinity;
    t.deepEqual(
      terms?.requiredDuringSchedulingIgnoredDuringExecution?.map((r) => r.topologyKey),
      ['kubernetes.io/hostname'],
    );
    t.is(terms?.preferredDuringSchedulingIgnoredDuringExecution, undefined);
  });

  test(`${p}: every PodDisruptionBudget lets unhealthy pods go (AlwaysAllow), and the unsealer has one`, (t) => {
    const pdbs = all.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const pdb of pdbs) {
      t.is((pdb['spec'] as Record<string, unknown>)['unhealthyPodEvictionPolicy'], 'AlwaysAllow', pdb.metadata.name);
    }
    t.truthy(find(pdbs, 'PodDisruptionBudget', unsealer.name, ns.vault));
    t.truthy(find(pdbs, 'PodDisruptionBudget', vault.name, ns.vault));
  });

  test(`${p}: Vault and the unsealer run at a priority class that exists`, (t) => {
    for (const [kind, name] of [
      ['StatefulSet', vault.name],
      ['Deployment', unsealer.name],
    ] as const) {
      const className = scheduling(find(all, kind, name, ns.vault)).priorityClassName;
      t.truthy(className, name);
      const priority = find(all, 'PriorityClass', className!) as K8sObject & { value: number; globalDefault: boolean };
      t.true(priority.value > 0);
      t.false(priority.globalDefault);
    }
  });

  test(`${p}: ${p === 'prod' ? 'stateless Deployments scale with CPU and leave replicas to the HPA' : 'no HPA (kind has no metrics-server)'}`, (t) => {
    const hpas = all.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    if (p === 'dev') return t.deepEqual(hpas, []);
    const targets = hpas.map((h) => (h['spec'] as { scaleTargetRef: { name: string } }).scaleTargetRef.name);
    t.deepEqual(targets.sort(), ['api-gateway', 'user-service', 'web']);
    for (const name of targets) {
      t.is((find(all, 'Deployment', name, ns.apps)['spec'] as { replicas?: number }).replicas, undefined, name);
    }
    for (const h of hpas) {
      const spec = h['spec'] as { minReplicas: number; maxReplicas: number };
      t.true(spec.minReplicas >= 2 && spec.maxReplicas > spec.minReplicas);
    }
  });

  test(`${p}: every object carries app.kubernetes.io/version`, (t) => {
    for (const o of all) {
      const version = o.metadata.labels?.['app.kubernetes.io/version'];
      const name = o.metadata.labels?.['app.kubernetes.io/name'];
      t.is(version, upstream.find((u) => u.name === name)?.version ?? VERSION, `${o.kind}/${o.metadata.name}`);
    }
  });

  test(`${p}: a vault-active Service sends traffic only to the active node`, (t) => {
    const spec = find(all, 'Service', vault.activeService, ns.vault)['spec'] as { selector: Record<string, string> };
    t.is(spec.selector[vault.activeLabel], 'true');
    t.is(spec.selector['app.kubernetes.io/name'], vault.name);
  });

  test(`${p}: egress to the API server goes to the profile's own blocks, never to 0.0.0.0/0`, (t) => {
    const apiPolicies = all.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.includes('-to-api-server'));
    t.true(apiPolicies.length >= 3);
    const blocks = apiPolicies.flatMap((o) =>
      (o['spec'] as { egress: { to: { ipBlock: { cidr: string; except?: string[] } }[] }[] }).egress.flatMap((e) =>
        e.to.map((x) => x.ipBlock),
      ),
    );
    t.deepEqual([...new Set(blocks.map((b) => b.cidr))].sort(), [...profile.apiServer.cidrs].sort());
    // Only the Telegram and backup flows reach the public internet.
    const open = all
      .filter((o) => o.kind === 'NetworkPolicy' && JSON.stringify(o['spec']).includes('"0.0.0.0/0"'))
      .map((o) => o.metadata.name)
      .sort();
    t.deepEqual(
      open,
      p === 'prod'
        ? [
            'integration-service-to-telegram-egress',
            'postgres-to-object-store-egress',
            'vault-backup-to-object-store-egress',
          ]
        : ['integration-service-to-telegram-egress'],
    );
  });

  test(`${p}: our images come from ${p === 'prod' ? 'the production registry with the release tag' : 'the local names Tilt builds'}`, (t) => {
    const ours = workloads(all)
      .flatMap((w) => containersOf(w.pod))
      .filter((c) => !upstreamImages.has(c.image));
    t.true(ours.length > 0);
    // Containers named for their task run one of our images: the Vault backup runs the unsealer's CLI.
    const imageOfContainer: Record<string, string> = { snapshot: 'vault-unsealer' };
    for (const c of ours) {
      const image = imageOfContainer[c.name] ?? c.name;
      t.is(c.image, p === 'prod' ? `${PLACEHOLDER_REGISTRY}/${image}:${VERSION}` : `cf/${image}`);
    }
  });
}

test('a production render refuses to run while the registry or the API-server address is a placeholder', (t) => {
  const out = mkdtempSync(join(tmpdir(), 'cf-synth-'));
  const error = t.throws(() => synthAll(out, [prod]));
  t.regex(error.message, /CF_IMAGE_REGISTRY/);
  t.regex(error.message, /CF_API_SERVER_CIDRS/);
  t.regex(error.message, /CF_ALERT_RECEIVER_CIDRS/);
  t.regex(error.message, /CF_MAIL_RELAY_CIDRS/);
  t.deepEqual(readdirSync(out), [], 'nothing is written');
  t.notThrows(() => synthAll(out, [dev]));
});

test('a production render with its registry, digests, API-server and pod blocks set uses them', (t) => {
  const real = withEnvironment(prod, {
    CF_IMAGE_REGISTRY: 'ghcr.io/acme/cf',
    CF_IMAGE_DIGESTS: `web@sha256:${'a'.repeat(64)}`,
    CF_API_SERVER_CIDRS: '10.0.0.1/32, 10.0.0.2/32',
    CF_POD_CIDRS: '10.244.0.0/16',
    CF_ALERT_RECEIVER_CIDRS: '198.18.0.0/24',
    CF_MAIL_RELAY_CIDRS: '198.18.1.25/32',
  });
  const out = mkdtempSync(join(tmpdir(), 'cf-synth-'));
  t.notThrows(() => synthAll(out, [real]));
  t.is(imageOf('web', real.images), `ghcr.io/acme/cf/web@sha256:${'a'.repeat(64)}`);
  t.is(imageOf('user-service', real.images), `ghcr.io/acme/cf/user-service:${VERSION}`);
  const { all } = synthesize(real);
  const cidrs = all
    .filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('vault-to-api-server'))
    .flatMap((o) => JSON.stringify(o['spec']).match(/10\.0\.0\.\d\/32/g) ?? []);
  t.deepEqual(cidrs.sort(), ['10.0.0.1/32', '10.0.0.2/32']);
  const gateway = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api-gateway');
  t.regex(JSON.stringify(gateway), /"name":"TRUSTED_PROXIES","value":"10\.244\.0\.0\/16"/);
});
