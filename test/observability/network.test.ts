import test from 'ava';
import { observabilityFlows } from '../../charts-ts/src/charts/observability/flows.ts';
import { alertmanager, prometheus } from '../../charts-ts/src/charts/observability/stack.ts';
import { scrapeTargets } from '../../charts-ts/src/charts/observability/targets.ts';
import { flows } from '../../charts-ts/src/network.ts';
import { ns } from '../../charts-ts/src/platform.ts';
import { profiles } from '../../charts-ts/src/profile.ts';
import { observabilityObjects } from './stack.ts';

for (const profile of profiles) {
  test(`${profile.name}: Prometheus may reach every scrape target on exactly the port its PodMonitor scrapes`, (t) => {
    const all = flows(profile);
    for (const target of scrapeTargets().filter((s) => s.job !== prometheus.name)) {
      const flow = all.find(
        (f) =>
          f.from.kind === 'pods' &&
          f.from.namespace === ns.observability &&
          f.from.pods?.['app.kubernetes.io/name'] === prometheus.name &&
          f.to.kind === 'pods' &&
          f.to.namespace === target.namespace &&
          JSON.stringify(f.to.pods) === JSON.stringify(target.pods),
      );
      t.truthy(flow, `no flow to ${target.job}`);
      t.deepEqual(flow?.ports, [{ port: target.port.number, protocol: 'TCP' }], target.job);
    }
  });

  test(`${profile.name}: outside the cluster Alertmanager reaches only the profile's receiver blocks, on 443 and 587`, (t) => {
    const out = observabilityFlows(profile).filter(
      (f) =>
        f.from.kind === 'pods' && f.from.pods?.['app.kubernetes.io/name'] === alertmanager.name && f.to.kind === 'cidr',
    );
    t.deepEqual(
      out.map((f) => (f.to.kind === 'cidr' ? f.to.cidr : '')),
      profile.alertReceivers.cidrs,
    );
    for (const f of out)
      t.deepEqual(
        f.ports.map((p) => p.port),
        [443, 587],
      );
    t.is(profile.name === 'dev', out.length === 0, 'dev sends no alert off the machine');
  });

  test(`${profile.name}: nothing in cf-apps reaches cf-observability`, (t) => {
    const into = flows(profile).filter(
      (f) =>
        f.from.kind === 'pods' &&
        f.from.namespace === ns.apps &&
        f.to.kind === 'pods' &&
        f.to.namespace === ns.observability,
    );
    t.deepEqual(into, []);
  });

  test(`${profile.name}: the admin UIs accept no flow from outside cf-observability (port-forward only)`, (t) => {
    const ui = new Set(['prometheus', 'alertmanager', 'grafana']);
    const inbound = observabilityFlows(profile).filter(
      (f) =>
        f.to.kind === 'pods' &&
        f.to.namespace === ns.observability &&
        ui.has(f.to.pods?.['app.kubernetes.io/name'] ?? '') &&
        !(f.from.kind === 'pods' && f.from.namespace === ns.observability),
    );
    t.deepEqual(inbound, []);
    const objects = observabilityObjects(profile);
    t.false(
      objects.some((o) => o.kind === 'HTTPRoute' || o.kind === 'Ingress'),
      'no route or ingress to an admin UI',
    );
    t.false(
      objects.some(
        (o) =>
          o.kind === 'Service' && ['NodePort', 'LoadBalancer'].includes(String((o['spec'] as { type?: string }).type)),
      ),
    );
  });
}

test('PodMonitors exist for exactly the registry targets, all selected by the Prometheus', (t) => {
  const objects = observabilityObjects(profiles[0]!);
  const monitors = objects.filter((o) => o.kind === 'PodMonitor');
  t.deepEqual(
    monitors.map((m) => m.metadata.name).sort(),
    scrapeTargets()
      .map((s) => s.job)
      .sort(),
  );
  for (const m of monitors) t.is(m.metadata.labels?.['monitoring.content-factory.dev/prometheus'], 'prometheus');
  for (const rule of objects.filter((o) => o.kind === 'PrometheusRule')) {
    t.is(rule.metadata.labels?.['monitoring.content-factory.dev/prometheus'], 'prometheus');
  }
  const prom = objects.find((o) => o.kind === 'Prometheus')!;
  t.deepEqual((prom['spec'] as { podMonitorSelector: unknown }).podMonitorSelector, {
    matchLabels: { 'monitoring.content-factory.dev/prometheus': 'prometheus' },
  });
});

test('Prometheus has 1 replica in dev and 2 in prod, Alertmanager 1 and 3, retention by profile', (t) => {
  const spec = (profile: (typeof profiles)[number], kind: string) =>
    observabilityObjects(profile).find((o) => o.kind === kind)!['spec'] as { replicas: number; retention?: string };
  const [dev, prod] = profiles;
  t.is(spec(dev!, 'Prometheus').replicas, 1);
  t.is(spec(prod!, 'Prometheus').replicas, 2);
  t.is(spec(dev!, 'Alertmanager').replicas, 1);
  t.is(spec(prod!, 'Alertmanager').replicas, 3);
  t.not(spec(dev!, 'Prometheus').retention, spec(prod!, 'Prometheus').retention);
});
