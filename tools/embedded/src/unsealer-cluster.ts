// Test support for vault-unsealer: the test plays kubelet for Vault pods on loopback, runs the operator
// in-process against the real API server, and captures everything it writes for the no-secret scan.
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import {
  CoreV1Api,
  KubeConfig as KubeConfigClass,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubeConfig,
  type V1PolicyRule,
  type V1Pod,
} from '@kubernetes/client-node';
import { createLogger } from '@cf/kit';
import { Operator, unsealerRoles, type OperatorOptions, type UnsealerRbacOptions } from '@cf/vault-unsealer';
import { Registry } from 'prom-client';
import { freePort, waitFor } from './process.ts';
import { startVault, type VaultServer } from './vault.ts';

export const VAULT_LABELS = { 'app.kubernetes.io/name': 'vault' };

/** Everything the operators of one test file logged, line by line. */
export class LogCapture {
  readonly lines: string[] = [];

  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        if (process.env['UNSEALER_TEST_LOG'] !== undefined) appendFileSync(process.env['UNSEALER_TEST_LOG'], chunk);
        done();
      },
    });
  }

  records(): { msg?: string; reason?: string; pod?: string; name?: string }[] {
    return this.lines.map((line) => JSON.parse(line) as { msg?: string });
  }
}

/**
 * Vault servers that look like pods of one StatefulSet: the same port on different loopback addresses, so
 * the operator reaches them through `http://{podIP}:<port>` exactly as it reaches pod IPs in a cluster.
 * `subnet` keeps test files that run in parallel apart (127.0.<subnet>.x).
 */
export async function startVaultPods(
  count: number,
  subnet: number,
): Promise<{ servers: VaultServer[]; template: string; ip: (i: number) => string }> {
  const port = await freePort();
  const ip = (index: number): string => `127.0.${subnet}.${index + 1}`;
  const servers = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      startVault({ mode: 'server', host: ip(index), port, nodeId: `vault-${index}` }),
    ),
  );
  return { servers, template: `http://{podIP}:${port}`, ip };
}

/** Plays kubelet for pods nobody schedules: creates them, reports them Running, reports container restarts. */
export class Kubelet {
  readonly core: CoreV1Api;
  readonly namespace: string;
  private readonly restarts = new Map<string, number>();

  constructor(kubeConfig: KubeConfig, namespace: string) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.namespace = namespace;
  }

  async createPod(name: string, annotations: Record<string, string> = {}): Promise<V1Pod> {
    return this.core.createNamespacedPod({
      namespace: this.namespace,
      body: {
        metadata: { name, labels: VAULT_LABELS, annotations },
        spec: { containers: [{ name: 'vault', image: 'quay.io/openbao/openbao:2.7.2' }] },
      },
    });
  }

  /** Phase Running with the pod IP and a container that (re)started now. */
  async markRunning(name: string, podIP: string): Promise<void> {
    const now = new Date();
    const restartCount = this.restarts.get(name) ?? 0;
    this.restarts.set(name, restartCount + 1);
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace: this.namespace,
        body: {
          status: {
            phase: 'Running',
            podIP,
            podIPs: [{ ip: podIP }],
            hostIP: '127.0.0.1',
            startTime: now.toISOString(),
            conditions: [
              { type: 'Initialized', status: 'True', lastTransitionTime: now.toISOString() },
              { type: 'ContainersReady', status: 'True', lastTransitionTime: now.toISOString() },
              { type: 'Ready', status: 'True', lastTransitionTime: now.toISOString() },
            ],
            containerStatuses: [
              {
                name: 'vault',
                image: 'quay.io/openbao/openbao:2.7.2',
                imageID: '',
                ready: true,
                restartCount,
                started: true,
                state: { running: { startedAt: now.toISOString() } },
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  async annotate(name: string, annotations: Record<string, string | null>): Promise<void> {
    await this.core.patchNamespacedPod(
      { name, namespace: this.namespace, body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/** A namespace for Vault and the operator, with the operator's ServiceAccount. */
export async function createNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: 'vault-unsealer' } } });
}

/** A ServiceAccount token from the API server; `audiences: []` gives one for the API server itself. */
export async function serviceAccountToken(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  audiences: string[] = ['vault'],
): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const response = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { ...(audiences.length > 0 ? { audiences } : {}), expirationSeconds: 3600 } },
  });
  return response.status?.token ?? '';
}

/** A reviewer ServiceAccount Vault uses for TokenReviews (Vault runs outside the cluster in tests). */
export async function createTokenReviewer(kubeConfig: KubeConfig, namespace: string): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'vault-reviewer' } } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: `vault-reviewer-${namespace}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name: 'vault-reviewer', namespace }],
    },
  });
  return serviceAccountToken(kubeConfig, namespace, 'vault-reviewer', []);
}

export interface TestOperator {
  operator: Operator;
  registry: Registry;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export type TestOperatorOptions = Partial<OperatorOptions> & {
  kubeConfig: KubeConfig;
  namespace: string;
  addressTemplate: string;
  logs: LogCapture;
};

/** The operator in-process, with short timings for tests. */
export function startOperator(options: TestOperatorOptions): TestOperator {
  const registry = new Registry();
  const { logs, ...rest } = options;
  const operator = new Operator({
    logger: createLogger({ name: 'vault-unsealer', level: 'debug', stream: logs.stream() }),
    registry,
    identity: 'unsealer-a',
    podSelector: 'app.kubernetes.io/name=vault',
    headlessService: 'vault-internal',
    firstPod: 'vault-0',
    keySecret: 'vault-unseal-keys',
    shares: 5,
    threshold: 3,
    leaseName: 'vault-unsealer',
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    resyncMs: 5000,
    backoff: { baseMs: 100, maxMs: 2000 },
    ...rest,
  });
  operator.start();
  return {
    operator,
    registry,
    metrics: () => registry.metrics(),
    stop: () => operator.stop(),
  };
}

/** Value of one sample in Prometheus text, 0 when absent. */
export function sample(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [series, value] = line.split(' ');
    if (series === (labels === '' ? name : `${name}{${labels}}`)) return Number(value);
  }
  return 0;
}

export async function waitUnsealed(vault: VaultServer, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => !(await vault.sealStatus()).sealed, { what: `${vault.address} unsealed`, timeoutMs });
}

export async function events(
  kubeConfig: KubeConfig,
  namespace: string,
): Promise<{ reason: string; type: string; message: string; count: number; pod: string; instance: string }[]> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedEvent({ namespace });
  return list.items.map((event) => ({
    reason: event.reason ?? '',
    type: event.type ?? '',
    message: event.message ?? '',
    count: event.count ?? 1,
    pod: event.involvedObject.name ?? '',
    instance: event.reportingInstance ?? '',
  }));
}

/** Every value in `secrets` (and its base64 form) that occurs anywhere in `haystacks`. */
export function leaks(haystacks: readonly string[], secrets: readonly string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets.filter((value) => value.length >= 8)) {
    const forms = [secret, Buffer.from(secret).toString('base64')];
    if (haystacks.some((text) => forms.some((form) => text.includes(form)))) found.push(`${secret.slice(0, 4)}…`);
  }
  return found;
}

/** Keys and root token the operator stored, read back from the Secret. */
export async function storedKeys(
  kubeConfig: KubeConfig,
  namespace: string,
): Promise<
  | { keys: string[]; rootToken: string; resourceVersion: string; ownerReferences: number; immutable: boolean }
  | undefined
> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  try {
    const secret = await core.readNamespacedSecret({ name: 'vault-unseal-keys', namespace });
    const data = secret.data ?? {};
    const text = (key: string): string => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
    return {
      keys: Object.keys(data)
        .filter((key) => key.startsWith('key-'))
        .sort()
        .map(text),
      rootToken: text('initial-root-token'),
      resourceVersion: secret.metadata?.resourceVersion ?? '',
      ownerReferences: secret.metadata?.ownerReferences?.length ?? 0,
      immutable: secret.immutable === true,
    };
  } catch {
    return undefined;
  }
}

/**
 * Binds the operator's documented Roles (from `unsealerRoles`) to its ServiceAccount and returns a kubeconfig
 * that authenticates as that ServiceAccount, so a test runs the operator with exactly that RBAC.
 */
export async function kubeConfigWithUnsealerRbac(
  admin: KubeConfig,
  server: string,
  caPem: string,
  options: UnsealerRbacOptions,
  /** Drops rules, to run the operator with less than it needs. */
  keep: (rule: V1PolicyRule) => boolean = () => true,
): Promise<{ kubeConfig: KubeConfig; token: string }> {
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  for (const documented of unsealerRoles(options)) {
    const role = { ...documented, rules: (documented.rules ?? []).filter(keep) };
    const namespace = role.metadata!.namespace!;
    await rbac.createNamespacedRole({ namespace, body: role });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'vault-unsealer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata!.name! },
        subjects: [{ kind: 'ServiceAccount', name: 'vault-unsealer', namespace: options.namespace }],
      },
    });
  }
  const token = await serviceAccountToken(admin, options.namespace, 'vault-unsealer', []);
  const kubeConfig = new KubeConfigClass();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'cf-test', server, caData: Buffer.from(caPem).toString('base64') }],
    users: [{ name: 'vault-unsealer', token }],
    contexts: [{ name: 'vault-unsealer', cluster: 'cf-test', user: 'vault-unsealer' }],
    currentContext: 'vault-unsealer',
  });
  return { kubeConfig, token };
}
