import test from 'ava';
import { gatewayEnv } from '../../services/api-gateway/src/config.ts';
import { integrationServiceEnv } from '../../services/integration-service/src/config.ts';
import { loadConfig } from '../../services/kit/src/config.ts';
import { userServiceEnv } from '../../services/user-service/src/config.ts';
import { webEnv } from '../../services/web/server/config.ts';
import { loadSettings, settingsShape } from '../../operators/vault-unsealer/src/settings.ts';
import { cliEnv } from '../../operators/vault-unsealer/src/backup/cli-env.ts';
import { both, containersOf, upstreamImages, workloads, type ContainerLike } from './objects.ts';

/** Each of our programs' own config schema, by container name (imported from the programs, not the charts). */
const schemas: Record<string, object> = {
  web: webEnv,
  'api-gateway': gatewayEnv,
  'user-service': userServiceEnv,
  'integration-service': integrationServiceEnv,
  'vault-unsealer': settingsShape,
  // The Vault backup CronJob's container runs the unsealer image's CLI (charts-ts/src/charts/vault-backup.ts).
  snapshot: cliEnv,
};

/**
 * Variables Node.js itself reads (nodejs.org/api/cli.html#environment-variables), not the program. None today:
 * the unsealer reads its Vault CA from VAULT_CACERT (its settings), no longer from NODE_EXTRA_CA_CERTS.
 */
const runtimeVariables: Readonly<Record<string, readonly string[]>> = {};

/** The container's env as the program would see it: Downward API fields get a value of the right shape. */
function environment(c: ContainerLike, namespace: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const field = (e.valueFrom as { fieldRef?: { fieldPath: string } } | undefined)?.fieldRef?.fieldPath;
    out[e.name] = e.value ?? (field === 'metadata.namespace' ? namespace : `${c.name}-0`);
  }
  return out;
}

/** Loopback addresses and the local-run issuer: right on a laptop, wrong in a pod. */
const localOnly = /^(127\.0\.0\.1|localhost)$|\/\/(127\.0\.0\.1|localhost)(:|\/|$)|\/\/content-factory\.local\//;

for (const { profile, all } of both) {
  const containers = workloads(all).flatMap((w) =>
    containersOf(w.pod).map((c) => ({ c, namespace: w.object.metadata.namespace ?? '' })),
  );

  test(`${profile.name}: every container of ours has its program's config schema`, (t) => {
    // Containers running someone else's program are configured by its own documentation (vault.hcl, grafana.ini).
    const ours = containers.filter(({ c }) => !upstreamImages.has(c.image)).map(({ c }) => c.name);
    t.deepEqual(
      ours.filter((name) => schemas[name] === undefined),
      [],
    );
    t.deepEqual([...new Set(ours)].sort(), Object.keys(schemas).sort());
  });

  test(`${profile.name}: every env variable a container gets is one its program reads`, (t) => {
    for (const { c } of containers.filter(({ c }) => schemas[c.name] !== undefined)) {
      const unknown = (c.env ?? [])
        .map((e) => e.name)
        .filter((name) => !Object.hasOwn(schemas[c.name]!, name) && !runtimeVariables[c.name]?.includes(name));
      t.deepEqual(unknown, [], `${c.name} gets variables its schema does not define`);
    }
  });

  test(`${profile.name}: every container's env parses with its program's own schema`, (t) => {
    for (const { c, namespace } of containers.filter(({ c }) => schemas[c.name] !== undefined)) {
      const env = environment(c, namespace);
      const shape = schemas[c.name] as Parameters<typeof loadConfig>[0];
      t.notThrows(() => (c.name === 'vault-unsealer' ? loadSettings(env) : loadConfig(shape, env)), c.name);
    }
  });

  test(`${profile.name}: no container falls back to a default meant for local runs`, (t) => {
    for (const { c, namespace } of containers.filter(({ c }) => schemas[c.name] !== undefined)) {
      const shape = schemas[c.name] as Parameters<typeof loadConfig>[0];
      const config = loadConfig(shape, environment(c, namespace));
      for (const [name, value] of Object.entries(config)) {
        t.notRegex(String(value), localOnly, `${c.name} ${name}`);
      }
    }
  });
}

// A developer's cluster holds no Telegram API credentials: integration-service runs its scripted fake there (it
// exits at start in `gramjs` mode without api_id/api_hash in Vault KV), and talks to Telegram in production.
for (const { profile, all } of both) {
  test(`${profile.name}: integration-service runs Telegram in ${profile.telegramMode} mode`, (t) => {
    const container = workloads(all)
      .flatMap((w) => containersOf(w.pod))
      .find((c) => c.name === 'integration-service');
    const mode = container?.env?.find((e) => e.name === 'TELEGRAM_MODE')?.value;
    t.is(mode, profile.name === 'dev' ? 'demo' : 'gramjs');
  });
}

// No mail leaves a developer's cluster, so no verification link arrives there: dev lets an unverified account connect
// (demo) accounts, production keeps integration-service's default (connecting waits for the verified address).
for (const { profile, all } of both) {
  test(`${profile.name}: integration-service ${profile.name === 'dev' ? 'lets' : 'does not let'} an unverified account connect accounts`, (t) => {
    const container = workloads(all)
      .flatMap((w) => containersOf(w.pod))
      .find((c) => c.name === 'integration-service');
    const refused = container?.env?.find((e) => e.name === 'UNVERIFIED_MAY_NOT')?.value;
    t.is(refused, profile.name === 'dev' ? 'none' : undefined);
  });
}
