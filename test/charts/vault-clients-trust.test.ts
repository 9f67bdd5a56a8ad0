// Every container that talks to Vault can verify Vault's certificate. Vault speaks TLS only, with a certificate from
// the internal CA that no image trusts by itself: a `bao`/service client without VAULT_CACERT fails its first call
// (found on the real node: Grafana's and the logging stack's init containers crash-looped on "x509: certificate
// signed by unknown authority").
import test from 'ava';
import { internalCa } from '../../charts-ts/src/platform.ts';
import { both, containersOf, workloads, type K8sObject } from './objects.ts';

interface VolumeLike {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}

/** The names of the Secrets cert-manager writes in `namespace` (Certificate `spec.secretName`). */
function certificateSecrets(all: K8sObject[], namespace: string | undefined): Set<string> {
  return new Set(
    all
      .filter((o) => o.kind === 'Certificate' && o.metadata.namespace === namespace)
      .map((o) => (o['spec'] as { secretName: string }).secretName),
  );
}

for (const { profile, all } of both) {
  test(`${profile.name}: every container with VAULT_ADDR names a VAULT_CACERT it mounts from its namespace's CA Secret`, (t) => {
    const problems: string[] = [];
    let clients = 0;
    for (const { object, pod } of workloads(all)) {
      const volumes = (pod.volumes ?? []) as VolumeLike[];
      const secrets = certificateSecrets(all, object.metadata.namespace);
      for (const container of containersOf(pod)) {
        const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));
        if (!env.has('VAULT_ADDR')) continue;
        clients += 1;
        const where = `${object.kind} ${object.metadata.namespace}/${object.metadata.name} ${container.name}`;
        const caFile = env.get('VAULT_CACERT');
        if (caFile === undefined) {
          problems.push(`${where}: no VAULT_CACERT`);
          continue;
        }
        const mount = (container.volumeMounts ?? []).find((m) => caFile.startsWith(`${m.mountPath}/`));
        const volume = volumes.find((v) => v.name === mount?.name);
        const secretName = volume?.secret?.secretName;
        if (secretName === undefined) {
          problems.push(`${where}: ${caFile} is not on a mounted Secret`);
          continue;
        }
        if (!secrets.has(secretName)) problems.push(`${where}: no Certificate in its namespace writes ${secretName}`);
        const file = caFile.slice((mount?.mountPath.length ?? 0) + 1);
        const items = volume?.secret?.items;
        if (items !== undefined && !items.some((i) => i.path === file && i.key === internalCa.file))
          problems.push(`${where}: ${file} is not the Secret's ${internalCa.file}`);
      }
    }
    t.deepEqual(problems, []);
    // Services, the unsealer, Grafana and the logging stack's init containers at least.
    t.true(clients >= 8, `only ${clients} Vault clients found`);
  });
}
