import { createHash } from 'node:crypto';
import { ApiException, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { VaultClient, VaultError, type Logger } from '@cf/kit';
import { ZodError } from 'zod';
import {
  applyConfiguration,
  ensureKubernetesAuth,
  ensureKubernetesRole,
  ensurePolicy,
  isLoginRefusal,
  loadVaultConfiguration,
  UNSEALER_POLICY,
  UNSEALER_POLICY_NAME,
} from './configure.ts';
import type { EventRecorder } from './events.ts';
import { KeySecretConflictError, type KeyStore, type UnsealKeys } from './key-store.ts';
import type { UnsealerMetrics } from './metrics.ts';
import {
  healthStatus,
  initialize,
  raftJoin,
  resetUnseal,
  sealStatus,
  unseal,
  VaultHttpError,
  type SealStatus,
} from './vault-http.ts';

/** Annotation that marks a deliberately sealed Vault pod: the unsealer leaves it sealed. */
export const SEALED_ANNOTATION = 'vault.content-factory.dev/sealed';

export type PodState =
  | 'pending'
  | 'unreachable'
  | 'waiting-for-leader'
  | 'keys-without-data'
  | 'no-keys'
  | 'keys-rejected'
  | 'deliberately-sealed'
  | 'sealed'
  | 'unsealed';

export interface PodReport {
  state: PodState;
  message: string;
  since: string;
}

export interface ReconcilerOptions {
  core: CoreV1Api;
  /** Where the Vault pods run. */
  namespace: string;
  /** Where the operator runs: default namespace of Secrets the configuration names. */
  operatorNamespace: string;
  firstPod: string;
  addressTemplate: string;
  headlessService: string;
  shares: number;
  threshold: number;
  keyStore: KeyStore;
  events: EventRecorder;
  metrics: UnsealerMetrics;
  logger: Logger;
  /** The declarative Vault configuration file; configuration is skipped while it does not exist. */
  configFile?: string;
  /** The unsealer's Kubernetes-auth role in Vault. */
  authRole: string;
  /** The unsealer's own ServiceAccount token with audience `vault` (projected volume). */
  vaultToken?: () => Promise<string>;
  resyncMs: number;
  /** Pods to consider as raft peers. */
  listPods: () => Promise<V1Pod[]>;
  /** Test seam: runs right after a fresh initialization's keys are stored. */
  afterInitialize?: () => Promise<void>;
}

type Result = { requeueAfterMs?: number } | undefined;

/** Renders the address of a pod's Vault API from the template; undefined while a placeholder has no value. */
export function podAddress(template: string, pod: V1Pod, service: string, namespace: string): string | undefined {
  const values: Record<string, string | undefined> = {
    pod: pod.metadata?.name,
    podIP: pod.status?.podIP,
    service,
    namespace: pod.metadata?.namespace ?? namespace,
  };
  let missing = false;
  const address = template.replace(/\{(pod|podIP|service|namespace)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing ? undefined : address.replace(/\/+$/, '');
}

/** When the pod's Vault container (re)started: the newest running container start, else the pod start. */
export function runningSince(pod: V1Pod): number | undefined {
  const starts = (pod.status?.containerStatuses ?? [])
    .map((status) => status.state?.running?.startedAt)
    .filter((value) => value !== undefined && value !== null)
    .map((value) => new Date(value as unknown as string).getTime());
  if (starts.length > 0) return Math.max(...starts);
  const start = pod.status?.startTime;
  return start === undefined ? undefined : new Date(start as unknown as string).getTime();
}

/** An expected wait (a follower before its leader is up): retried with backoff, logged at debug level. */
export class WaitingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitingError';
  }
}

/** A short, secret-free account of a failure for events and status (API exceptions carry whole bodies). */
export function describe(error: unknown): string {
  if (error instanceof ApiException) return `Kubernetes API answered HTTP ${error.code}`;
  if (error instanceof VaultError)
    return `${error.message.replace(/:\s*1 error occurred:?\s*$/, '')} (HTTP ${error.status})`;
  return error instanceof Error ? error.message : String(error);
}

function subjectOf(jwt: string): { namespace: string; name: string } {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string };
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(payload.sub ?? '');
  if (match === null) throw new Error('the Vault auth token is not a ServiceAccount token');
  return { namespace: match[1]!, name: match[2]! };
}

interface PodMemory {
  /** Key-set version Vault refused: no retry until the Secret changes. */
  rejectedVersion?: string;
  /** When the last share of a round was accepted but Vault still said sealed (a raft follower catching up). */
  thresholdAt?: number;
}

/**
 * Level-triggered reconcile of one Vault pod: it reads what Vault says now and does the one next step
 * (initialize, join, unseal, configure), never relying on what it did before. The work queue guarantees one
 * reconcile per pod at a time.
 */
export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly memory = new Map<string, PodMemory>();
  private readonly reports = new Map<string, PodReport>();
  private readonly running = new Map<string, Promise<Result>>();
  /** Keys of an initialization whose Secret could not be created yet: kept in memory, creation retried. */
  private pendingKeys: UnsealKeys | undefined;
  private readonly written = new Map<string, string>();
  private configured: { hash: string; address: string; failures: number; nextAt: number } | undefined;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  report(): Record<string, PodReport> {
    return Object.fromEntries(this.reports);
  }

  private setState(pod: string, state: PodState, message: string): void {
    const previous = this.reports.get(pod);
    if (previous?.state !== state || previous.message !== message) {
      this.reports.set(pod, { state, message, since: new Date().toISOString() });
    }
    this.updateSealedGauge();
  }

  private updateSealedGauge(): void {
    let sealed = 0;
    for (const report of this.reports.values()) {
      if (report.state !== 'unsealed' && report.state !== 'pending') sealed += 1;
    }
    this.options.metrics.sealedPods.set(sealed);
  }

  private memoryOf(pod: string): PodMemory {
    let memory = this.memory.get(pod);
    if (memory === undefined) {
      memory = {};
      this.memory.set(pod, memory);
    }
    return memory;
  }

  async reconcile(name: string): Promise<Result> {
    // The queue never runs a pod twice at once; this also covers a reconcile abandoned by a queue that was shut
    // down (leadership lost) and a new term's queue picking the same pod up.
    const previous = this.running.get(name);
    if (previous !== undefined) await previous.catch(() => undefined);
    const run = this.reconcileOnce(name);
    this.running.set(name, run);
    try {
      return await run;
    } finally {
      if (this.running.get(name) === run) this.running.delete(name);
    }
  }

  private async reconcileOnce(name: string): Promise<Result> {
    const { metrics } = this.options;
    try {
      const result = await this.reconcilePod(name);
      metrics.reconciles.inc({ result: 'ok' });
      metrics.lastSuccessfulReconcile.set(Date.now() / 1000);
      return result;
    } catch (error) {
      metrics.reconciles.inc({ result: 'error' });
      throw error;
    }
  }

  private async readPod(name: string): Promise<V1Pod | undefined> {
    try {
      return await this.options.core.readNamespacedPod({ name, namespace: this.options.namespace });
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  private address(pod: V1Pod): string | undefined {
    return podAddress(this.options.addressTemplate, pod, this.options.headlessService, this.options.namespace);
  }

  private async reconcilePod(name: string): Promise<Result> {
    const pod = await this.readPod(name);
    if (pod === undefined || pod.metadata?.deletionTimestamp !== undefined) {
      this.memory.delete(name);
      this.reports.delete(name);
      this.updateSealedGauge();
      return;
    }
    if (pod.status?.phase !== 'Running') {
      this.setState(name, 'pending', `pod phase ${pod.status?.phase ?? 'unknown'}`);
      return; // the pod's next status change brings it back
    }
    const address = this.address(pod);
    if (address === undefined) {
      this.setState(name, 'pending', 'no address yet');
      return;
    }
    let status: SealStatus;
    try {
      status = await sealStatus(address);
    } catch (error) {
      this.setState(name, 'unreachable', describe(error));
      throw error;
    }
    const deliberate = pod.metadata?.annotations?.[SEALED_ANNOTATION] === 'true';
    if (deliberate && (status.sealed || !status.initialized)) {
      if (this.reports.get(name)?.state !== 'deliberately-sealed') {
        await this.options.events.record(
          pod,
          'Normal',
          'DeliberatelySealed',
          `Vault is sealed and the pod carries ${SEALED_ANNOTATION}=true: leaving it sealed`,
        );
      }
      this.setState(name, 'deliberately-sealed', `annotation ${SEALED_ANNOTATION}=true`);
      return;
    }
    if (!status.initialized) {
      const next = await this.uninitialized(pod, address);
      if (next !== 'continue') return next;
      status = await sealStatus(address);
    }
    if (status.sealed) {
      const next = await this.unseal(pod, address, status);
      if (next !== 'continue') return next;
    } else if (this.memory.get(name)?.thresholdAt !== undefined) {
      await this.unsealed(pod);
    }
    this.setState(name, 'unsealed', 'unsealed');
    if (this.pendingKeys?.version === '') {
      // Unsealed with keys that exist only in memory: storing them comes before anything else.
      await this.keys();
      if (this.pendingKeys?.version === '') throw new Error(`Secret ${this.options.keyStore.name} not stored yet`);
    }
    await this.maybeConfigure(pod, address);
  }

  private async keys(): Promise<UnsealKeys | undefined> {
    if (this.pendingKeys !== undefined && this.pendingKeys.version === '') {
      // Keys of an initialization not stored yet: Vault's data opens only with these. Keep trying to store them
      // (never over an existing Secret) and unseal with them meanwhile; never initialize again.
      try {
        this.pendingKeys = await this.options.keyStore.create(this.pendingKeys);
      } catch (error) {
        this.options.logger.error({ reason: describe(error) }, 'key Secret still not stored; keys kept in memory');
      }
      return this.pendingKeys;
    }
    this.pendingKeys = undefined;
    return this.options.keyStore.read();
  }

  /** Peers that are reachable: the active (or any unsealed) one to join, and whether any is initialized. */
  private async peers(self: string): Promise<{ leader: string | undefined; anyInitialized: boolean }> {
    let leader: string | undefined;
    let standby: string | undefined;
    let anyInitialized = false;
    for (const peer of await this.options.listPods()) {
      if (peer.metadata?.name === self || peer.status?.phase !== 'Running') continue;
      const address = this.address(peer);
      if (address === undefined) continue;
      try {
        const health = await healthStatus(address);
        if (health !== 501) anyInitialized = true;
        if (health === 200) leader ??= address;
        if (health === 429 || health === 473) standby ??= address;
      } catch {
        // unreachable peers count as unknown
      }
    }
    return { leader: leader ?? standby, anyInitialized };
  }

  private async uninitialized(pod: V1Pod, address: string): Promise<Result | 'continue'> {
    const { events, keyStore, metrics, logger } = this.options;
    const name = pod.metadata?.name ?? '';
    const { leader, anyInitialized } = await this.peers(name);
    const keys = await this.keys();
    if (leader !== undefined) {
      if (keys === undefined) {
        this.setState(name, 'no-keys', `Secret ${keyStore.name} is missing: cannot unseal after joining`);
        return { requeueAfterMs: this.options.resyncMs };
      }
      try {
        await raftJoin(address, leader);
      } catch (error) {
        await events.record(pod, 'Warning', 'JoinFailed', `joining the raft cluster failed: ${describe(error)}`);
        throw error;
      }
      await events.record(pod, 'Normal', 'Joined', 'joined the raft cluster of the active Vault node');
      return 'continue';
    }
    if (name !== this.options.firstPod) {
      this.setState(name, 'waiting-for-leader', `waiting for ${this.options.firstPod} to be initialized and unsealed`);
      throw new WaitingError(`${name}: no unsealed peer to join yet`);
    }
    if (keys !== undefined) {
      // Keys without data: initializing would create a second key set and orphan whatever the Secret opens.
      if (this.reports.get(name)?.state !== 'keys-without-data') {
        await events.record(
          pod,
          'Warning',
          'KeySecretWithoutData',
          `Vault is not initialized but Secret ${keyStore.name} exists: refusing to initialize (keys and data would drift apart). Restore Vault's storage, or delete the Secret deliberately to start over.`,
        );
      }
      this.setState(name, 'keys-without-data', `Secret ${keyStore.name} exists but Vault is not initialized`);
      return { requeueAfterMs: this.options.resyncMs };
    }
    if (anyInitialized) {
      this.setState(name, 'waiting-for-leader', 'another Vault pod is initialized but sealed');
      throw new WaitingError(`${name}: a peer is initialized but not unsealed yet`);
    }
    const result = await initialize(address, this.options.shares, this.options.threshold);
    this.pendingKeys = {
      keys: result.keys,
      threshold: this.options.threshold,
      rootToken: result.rootToken,
      version: '',
    };
    metrics.initializations.inc();
    try {
      this.pendingKeys = await keyStore.create(this.pendingKeys);
    } catch (error) {
      const conflict = error instanceof KeySecretConflictError;
      await events.record(
        pod,
        'Warning',
        conflict ? 'KeySecretConflict' : 'KeySecretNotStored',
        conflict
          ? `Secret ${keyStore.name} appeared during initialization; this initialization's keys are held in memory only`
          : `Vault was initialized but Secret ${keyStore.name} could not be created yet; retrying, keys held in memory`,
      );
      logger.error({ reason: describe(error) }, 'storing the unseal keys failed');
    }
    const where = this.pendingKeys.version === '' ? 'held in memory until' : 'stored in';
    await events.record(
      pod,
      'Normal',
      'Initialized',
      `Vault initialized with ${this.options.shares} key shares, threshold ${this.options.threshold}; keys ${where} Secret ${keyStore.name}`,
    );
    await this.options.afterInitialize?.();
    return 'continue';
  }

  private async unseal(pod: V1Pod, address: string, status: SealStatus): Promise<Result | 'continue'> {
    const { events, keyStore, metrics } = this.options;
    const name = pod.metadata?.name ?? '';
    const memory = this.memoryOf(name);
    const keys = await this.keys();
    if (keys === undefined) {
      if (this.reports.get(name)?.state !== 'no-keys') {
        await events.record(
          pod,
          'Warning',
          'UnsealKeysMissing',
          `Vault is sealed and Secret ${keyStore.name} does not exist`,
        );
      }
      this.setState(name, 'no-keys', `Secret ${keyStore.name} does not exist`);
      return { requeueAfterMs: this.options.resyncMs };
    }
    if (memory.rejectedVersion !== undefined && memory.rejectedVersion === keys.version) {
      this.setState(
        name,
        'keys-rejected',
        `Vault rejected the keys of Secret ${keyStore.name}; waiting for it to change`,
      );
      return { requeueAfterMs: this.options.resyncMs };
    }
    if (memory.thresholdAt !== undefined && Date.now() - memory.thresholdAt < 15_000 && status.progress === 0) {
      // All shares went in; a raft follower says sealed until it caught up with the leader. Do not resubmit.
      this.setState(name, 'sealed', 'catching up after unseal');
      return { requeueAfterMs: 100 };
    }
    this.setState(name, 'sealed', 'unsealing');
    try {
      // Shares from someone else, or from a round that died half-way, must not mix with ours.
      if (status.progress > 0) await resetUnseal(address);
      let current = status;
      const needed = status.t > 0 ? status.t : keys.threshold;
      for (const key of keys.keys.slice(0, needed)) {
        current = await unseal(address, key);
        if (!current.sealed) break;
      }
      if (current.sealed) {
        memory.thresholdAt = Date.now();
        return { requeueAfterMs: 100 };
      }
    } catch (error) {
      if (error instanceof VaultHttpError && (error.status === 400 || error.status === 500)) {
        memory.rejectedVersion = keys.version;
        metrics.unsealAttempts.inc({ result: 'rejected' });
        await events.record(
          pod,
          'Warning',
          'UnsealKeysRejected',
          `Vault rejected the unseal keys of Secret ${keyStore.name} (HTTP ${error.status}); not retrying them until the Secret changes`,
        );
        this.setState(name, 'keys-rejected', `Vault rejected the keys of Secret ${keyStore.name}`);
        return { requeueAfterMs: this.options.resyncMs };
      }
      metrics.unsealAttempts.inc({ result: 'error' });
      throw error;
    }
    await this.unsealed(pod);
    return 'continue';
  }

  /** A round of ours opened the barrier (maybe only now, for a raft follower that was catching up). */
  private async unsealed(pod: V1Pod): Promise<void> {
    this.memoryOf(pod.metadata?.name ?? '').thresholdAt = undefined;
    this.options.metrics.unsealAttempts.inc({ result: 'success' });
    const since = runningSince(pod);
    if (since !== undefined) this.options.metrics.unsealSeconds.observe(Math.max(0, (Date.now() - since) / 1000));
    await this.options.events.record(pod, 'Normal', 'Unsealed', 'Vault unsealed');
  }

  private async maybeConfigure(pod: V1Pod, address: string): Promise<void> {
    const { configFile, events, metrics, logger } = this.options;
    if (configFile === undefined) return;
    if ((await healthStatus(address)) !== 200) return; // only the active node is configured
    let config;
    try {
      config = await loadVaultConfiguration(configFile);
    } catch (error) {
      const detail =
        error instanceof ZodError
          ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')
          : 'not valid JSON or YAML';
      await events.record(pod, 'Warning', 'ConfigurationInvalid', `${configFile}: ${detail}`);
      metrics.configurationApplies.inc({ result: 'error' });
      return;
    }
    if (config === undefined) return;
    const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    const previous = this.configured;
    if (
      previous !== undefined &&
      previous.hash === hash &&
      previous.address === address &&
      Date.now() < previous.nextAt
    ) {
      return;
    }
    try {
      const changes = await this.configure(address, config);
      this.configured = { hash, address, failures: 0, nextAt: Date.now() + this.options.resyncMs * 0.8 };
      metrics.configurationApplies.inc({ result: changes.length > 0 ? 'changed' : 'unchanged' });
      metrics.configurationChanges.inc(changes.length);
      if (changes.length > 0) {
        logger.info({ changes }, 'vault configuration applied');
        await events.record(
          pod,
          'Normal',
          'Configured',
          `Vault configuration applied: ${changes.length} object(s) created or corrected`,
        );
      }
    } catch (error) {
      // Retry with backoff (1 s, 2 s, ... up to the resync period), not on every pod event.
      const failures = (previous?.hash === hash ? previous.failures : 0) + 1;
      const delay = Math.min(this.options.resyncMs, 1000 * 2 ** Math.min(failures - 1, 10));
      this.configured = { hash, address, failures, nextAt: Date.now() + delay };
      metrics.configurationApplies.inc({ result: 'error' });
      await events.record(
        pod,
        'Warning',
        'ConfigurationFailed',
        `applying the Vault configuration failed: ${describe(error)}`,
      );
    }
  }

  /**
   * Logs in with the unsealer's own ServiceAccount token; when that role does not exist yet, bootstraps it with
   * the initial root token and then revokes that token. Each pass's token is revoked when the pass ends.
   */
  private async configure(
    address: string,
    config: NonNullable<Awaited<ReturnType<typeof loadVaultConfiguration>>>,
  ): Promise<string[]> {
    const { vaultToken, authRole, core, operatorNamespace, logger } = this.options;
    if (vaultToken === undefined) throw new Error('no ServiceAccount token for Vault is configured');
    const auth = config.auth.kubernetes ?? { path: 'kubernetes', roles: [] };
    const login = (): Promise<VaultClient> =>
      VaultClient.connect({
        endpoint: address,
        auth: { method: 'kubernetes', role: authRole, jwt: vaultToken, mount: auth.path },
      });
    let vault: VaultClient;
    try {
      vault = await login();
    } catch (error) {
      if (!isLoginRefusal(error)) throw error;
      vault = await this.bootstrap(address, auth, login);
    }
    try {
      const options = { vault, core, defaultNamespace: operatorNamespace, written: this.written };
      const subject = subjectOf(await vaultToken());
      const own = [
        ...(await ensurePolicy(vault, UNSEALER_POLICY_NAME, UNSEALER_POLICY)),
        ...(await ensureKubernetesRole(vault, auth.path, authRole, unsealerRole(subject))),
      ];
      return [...own, ...(await applyConfiguration(options, config))];
    } finally {
      await vault.request('POST', '/auth/token/revoke-self', {}).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not revoke the configuration token; it expires on its own');
      });
      vault.close();
    }
  }

  private async bootstrap(
    address: string,
    auth: NonNullable<Awaited<ReturnType<typeof loadVaultConfiguration>>>['auth']['kubernetes'] & object,
    login: () => Promise<VaultClient>,
  ): Promise<VaultClient> {
    const { keyStore, core, operatorNamespace, authRole, vaultToken, logger } = this.options;
    const keys = await this.keys();
    const rootToken = keys?.rootToken;
    const refused = new Error(
      `Vault refuses role ${authRole} and no initial root token is left to create it; see the README (recovering the unsealer role)`,
    );
    if (rootToken === undefined) throw refused;
    let root: VaultClient;
    try {
      root = await VaultClient.connect({ endpoint: address, auth: { method: 'token', token: rootToken } });
    } catch (error) {
      if (isLoginRefusal(error)) throw refused;
      throw error;
    }
    try {
      const options = { vault: root, core, defaultNamespace: operatorNamespace, written: this.written };
      await ensureKubernetesAuth(options, auth);
      await ensurePolicy(root, UNSEALER_POLICY_NAME, UNSEALER_POLICY);
      await ensureKubernetesRole(root, auth.path, authRole, unsealerRole(subjectOf(await vaultToken!())));
      const vault = await login(); // proven to work before the root token goes
      await root.request('POST', '/auth/token/revoke-self', {});
      logger.info({ store: keyStore.name, role: authRole }, 'unsealer role bootstrapped; initial root token revoked');
      return vault;
    } finally {
      root.close();
    }
  }
}

function unsealerRole(subject: { namespace: string; name: string }) {
  return {
    bound_service_account_names: [subject.name],
    bound_service_account_namespaces: [subject.namespace],
    token_policies: [UNSEALER_POLICY_NAME],
    audience: 'vault',
    token_ttl: 300,
    token_max_ttl: 600,
  };
}
