import test from 'ava';
import { parse } from 'yaml';
import { chartIds } from '../../charts-ts/src/app.ts';
import { ns, ourNamespaces } from '../../charts-ts/src/platform.ts';
import { both, containersOf, find, workloads, type K8sObject } from './objects.ts';

/**
 * Namespaces whose workloads may run as root, each with why; Pod Security admits root there only because the
 * namespace is labelled `privileged` (charts-ts/src/charts/namespaces.ts), and nothing else runs in it.
 */
const ROOT_ALLOWED: Readonly<Record<string, string>> = {
  [ns.logShipper]:
    "Filebeat reads the kubelet's container log files, which are root-owned with mode 0640; it runs as root with " +
    'only DAC_READ_SEARCH added, no privilege escalation and a read-only root filesystem.',
};

const CLUSTER_SCOPED = [
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'ClusterIssuer',
  'GatewayClass',
  'PriorityClass',
];

/**
 * The only Secrets allowed in manifests: configuration that an upstream API reads only from a Secret and that
 * holds no credential. prometheus-operator takes Alertmanager's configuration from a Secret
 * (`Alertmanager.spec.configSecret`); its alternative, an AlertmanagerConfig, accepts receiver credentials only as
 * Kubernetes Secret references (`urlSecret`, `authPassword`), never as files rendered from Vault, which would move
 * the credentials themselves into Secrets. Ours names those files (`url_file`, `auth_password_file`) instead.
 */
const CONFIG_ONLY_SECRETS = [`${ns.observability}/alertmanager-config`];

/** A configuration key that would carry a credential itself (the `*_file` variants only name a file). */
const CREDENTIAL_KEY = /(password|secret|token|url|_key|credentials)$/i;

/** Every mapping key at any depth of a parsed YAML document. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
}

for (const { profile, charts, all } of both) {
  const p = profile.name;

  test(`${p}: every chart synthesizes objects`, (t) => {
    t.deepEqual([...charts.keys()], [...chartIds]);
    for (const [id, objects] of charts) t.true(objects.length > 0, id);
  });

  test(`${p}: every container has cpu and memory requests and limits`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        for (const kind of ['requests', 'limits'] as const) {
          t.truthy(c.resources?.[kind]?.['cpu'], `${w.object.metadata.name}/${c.name} ${kind}.cpu`);
          t.truthy(c.resources?.[kind]?.['memory'], `${w.object.metadata.name}/${c.name} ${kind}.memory`);
        }
      }
    }
  });

  test(`${p}: every container runs as a numeric non-root user without privilege escalation`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        const uid = c.securityContext?.runAsUser ?? w.pod.securityContext?.runAsUser;
        if (ROOT_ALLOWED[w.object.metadata.namespace ?? ''] !== undefined) {
          t.is(uid, 0, `${c.name}: root, said explicitly`);
          t.true(c.securityContext?.readOnlyRootFilesystem, `${c.name}: read-only root`);
        } else {
          t.true(Number.isInteger(uid) && uid! > 0, `${c.name}: runAsUser ${uid}`);
          t.true(c.securityContext?.runAsNonRoot ?? w.pod.securityContext?.runAsNonRoot, `${c.name}: runAsNonRoot`);
        }
        t.false(c.securityContext?.allowPrivilegeEscalation, `${c.name}: allowPrivilegeEscalation`);
        t.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${c.name}: capabilities`);
      }
    }
  });

  test(`${p}: every serving container has liveness, readiness and startup probes, and every Job a deadline`, (t) => {
    for (const w of workloads(all)) {
      if (['Job', 'CronJob'].includes(w.object.kind)) {
        // Run-to-completion pods serve nothing to probe; a deadline bounds them instead.
        const job = (w.object.kind === 'Job' ? w.object : (w.object['spec'] as { jobTemplate: K8sObject }).jobTemplate)[
          'spec'
        ] as { activeDeadlineSeconds?: number };
        t.true((job.activeDeadlineSeconds ?? 0) > 0, `${w.object.metadata.name}: activeDeadlineSeconds`);
        continue;
      }
      for (const c of w.pod.containers) {
        t.truthy(c.livenessProbe?.httpGet?.path, `${c.name} liveness`);
        t.truthy(c.readinessProbe?.httpGet?.path, `${c.name} readiness`);
        t.truthy(c.startupProbe?.httpGet?.path, `${c.name} startup`);
        t.not(
          c.livenessProbe?.httpGet?.path,
          c.readinessProbe?.httpGet?.path,
          `${c.name}: readiness means more than liveness`,
        );
      }
    }
  });

  test(`${p}: our images use pinned names and never pull policy Always`, (t) => {
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        t.not((c as { imagePullPolicy?: string }).imagePullPolicy, 'Always', c.name);
        if (c.image.startsWith('cf/')) t.is(c.image.includes(':'), p === 'prod', `${c.image}: tagged only in prod`);
        else t.regex(c.image, /:[\w.-]+$/, `${c.image} is pinned`);
      }
    }
  });

  test(`${p}: every object carries app.kubernetes.io labels and workloads label their pods`, (t) => {
    for (const o of all) {
      t.is(o.metadata.labels?.['app.kubernetes.io/part-of'], 'content-factory', `${o.kind}/${o.metadata.name}`);
    }
    for (const w of workloads(all)) {
      for (const key of ['name', 'instance', 'component', 'part-of']) {
        t.truthy(w.podLabels[`app.kubernetes.io/${key}`], `${w.object.metadata.name}: ${key}`);
      }
    }
  });

  test(`${p}: cluster-scoped objects have no namespace and every other object has one of ours or cert-manager's`, (t) => {
    for (const o of all) {
      if (CLUSTER_SCOPED.includes(o.kind)) t.is(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else
        t.true([...ourNamespaces, 'cert-manager'].includes(o.metadata.namespace ?? ''), `${o.kind}/${o.metadata.name}`);
    }
  });

  test(`${p}: every namespace of ours has a default-deny policy for ingress and egress and allows DNS`, (t) => {
    const policies = all.filter((o) => o.kind === 'NetworkPolicy');
    for (const namespace of ourNamespaces) {
      t.truthy(find(all, 'Namespace', namespace));
      const deny = find(policies, 'NetworkPolicy', 'default-deny', namespace);
      t.deepEqual(deny['spec'], { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const dns = find(policies, 'NetworkPolicy', 'allow-dns', namespace)['spec'] as {
        egress: { ports: { port: number; protocol: string }[] }[];
      };
      t.deepEqual(
        dns.egress[0]!.ports.map((x) => `${x.port}/${x.protocol}`),
        ['53/UDP', '53/TCP'],
      );
    }
  });

  test(`${p}: no Secret is generated and no env var carries a literal credential`, (t) => {
    for (const o of all.filter((x) => x.kind === 'Secret')) {
      const id = `${o.metadata.namespace}/${o.metadata.name}`;
      if (!CONFIG_ONLY_SECRETS.includes(id)) {
        t.fail(`Secret ${id} in manifests`);
        continue;
      }
      // A configuration an upstream API insists on reading from a Secret: it may name files, never hold a credential.
      t.is(o['data'], undefined, `${id}: plain stringData only`);
      for (const text of Object.values(o['stringData'] as Record<string, string>)) {
        for (const key of keysOf(parse(text)))
          t.notRegex(key, CREDENTIAL_KEY, `${id}: ${key} holds a literal credential`);
      }
    }
    for (const w of workloads(all)) {
      for (const c of containersOf(w.pod)) {
        for (const e of c.env ?? []) {
          if (/(PASSWORD|TOKEN|_SECRET|_KEY)$/.test(e.name) && e.value !== undefined) {
            // Only references are allowed: a file path or the name of a Vault key, role or Kubernetes object.
            t.regex(
              e.value,
              /^(\/[\w./-]+|[a-z][a-z0-9-]*)$/,
              `${c.name} ${e.name}=${e.value} looks like a credential`,
            );
          }
        }
      }
    }
    const text = JSON.stringify(all);
    t.notRegex(text, /BEGIN [A-Z ]*PRIVATE KEY|root_token|hvs\.|s\.[A-Za-z0-9]{24}/);
  });

  test(`${p}: dev relaxes readOnlyRootFilesystem only for our live-updated images`, (t) => {
    for (const w of workloads(all)) {
      // Tilt live-updates running pods; a Job's pod is never updated in place.
      const liveUpdated = !['Job', 'CronJob'].includes(w.object.kind);
      for (const c of containersOf(w.pod)) {
        const expected = !(p === 'dev' && liveUpdated && c.image.startsWith('cf/'));
        t.is(c.securityContext?.readOnlyRootFilesystem, expected, `${c.name}`);
      }
    }
  });
}
