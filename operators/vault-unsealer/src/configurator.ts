import { createHash } from 'node:crypto';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { VaultClient, type Logger } from '@cf/kit';
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
import type { KeyCustody } from './key-custody.ts';
import type { UnsealerMetrics } from './metrics.ts';
import type { Result } from './pod-controller.ts';
import { healthStatus } from './vault-http.ts';
import { describe } from './vault-pod.ts';
import type { VaultConfiguration } from './vault-config.ts';
import { trustedVaultCa } from './vault-tls.ts';

/** The configurator's work-queue key: a name no pod can have (pod names are DNS labels). */
export const CONFIGURATION_KEY = '@configuration';

export interface ConfiguratorOptions {
  core: CoreV1Api;
  /** Where the operator runs: default namespace of Secrets the configuration names. */
  operatorNamespace: string;
  /** The declarative Vault configuration file; configuration is skipped while it does not exist. */
  configFile?: string;
  /** The unsealer's Kubernetes-auth role in Vault. */
  authRole: string;
  /** The unsealer's own ServiceAccount token with audience `vault` (projected volume). */
  vaultToken?: () => Promise<string>;
  custody: KeyCustody;
  events: EventRecorder;
  metrics: UnsealerMetrics;
  logger: Logger;
  resyncMs: number;
  /** Vault pods that are running, with their API address. */
  runningPods: () => Promise<{ pod: V1Pod; address: string }[]>;
}

type KubernetesAuth = NonNullable<VaultConfiguration['auth']['kubernetes']>;

/**
 * Applies the declarative configuration to the active Vault node, driven by its own queue key: the pod
 * controller enqueues it whenever a pod answers unsealed, and a failing pass requeues itself with backoff
 * (1 s doubling up to the resync period). An unchanged configuration is applied at most once per 0.8 resync.
 */
export class Configurator {
  private readonly options: ConfiguratorOptions;
  private readonly written = new Map<string, string>();
  private configured: { hash: string; address: string; failures: number; nextAt: number } | undefined;

  constructor(options: ConfiguratorOptions) {
    this.options = options;
  }

  async reconcile(): Promise<Result> {
    const { configFile, custody } = this.options;
    if (configFile === undefined) return;
    if (custody.unstored) return { requeueAfterMs: 1000 }; // the keys' Secret comes first
    const active = await this.activePod();
    if (active === undefined) return; // the next unsealed pod enqueues this key again
    return this.configureActive(active.pod, active.address, configFile);
  }

  private async activePod(): Promise<{ pod: V1Pod; address: string } | undefined> {
    for (const candidate of await this.options.runningPods()) {
      const health = await healthStatus(candidate.address).catch(() => undefined);
      if (health === 200) return candidate;
    }
    return undefined;
  }

  private async configureActive(pod: V1Pod, address: string, configFile: string): Promise<Result> {
    const { events, metrics, logger } = this.options;
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
    if (previous?.hash === hash && previous.address === address && Date.now() < previous.nextAt) return;
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
      return;
    } catch (error) {
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
      return { requeueAfterMs: delay };
    }
  }

  /**
   * Logs in with the unsealer's own ServiceAccount token; when that role does not exist yet, bootstraps it with
   * the initial root token and then revokes that token. Each pass's token is revoked when the pass ends.
   */
  private async configure(address: string, config: VaultConfiguration): Promise<string[]> {
    const { vaultToken, authRole, core, operatorNamespace, logger } = this.options;
    if (vaultToken === undefined) throw new Error('no ServiceAccount token for Vault is configured');
    const auth = config.auth.kubernetes ?? { path: 'kubernetes', roles: [] };
    const login = (): Promise<VaultClient> =>
      VaultClient.connect({
        endpoint: address,
        auth: { method: 'kubernetes', role: authRole, jwt: vaultToken, mount: auth.path },
        ...trustedVaultCa(),
      });
    let vault: VaultClient;
    try {
      vault = await login();
    } catch (error) {
      if (!isLoginRefusal(error)) throw error;
      vault = await this.bootstrap(address, auth as KubernetesAuth, login);
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
    auth: KubernetesAuth,
    login: () => Promise<VaultClient>,
  ): Promise<VaultClient> {
    const { custody, core, operatorNamespace, authRole, vaultToken, logger } = this.options;
    const keys = await custody.keys();
    const rootToken = keys?.rootToken;
    const refused = new Error(
      `Vault refuses role ${authRole} and no initial root token is left to create it; see the README (recovering the unsealer role)`,
    );
    if (rootToken === undefined) throw refused;
    let root: VaultClient;
    try {
      root = await VaultClient.connect({
        endpoint: address,
        auth: { method: 'token', token: rootToken },
        ...trustedVaultCa(),
      });
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
      logger.info(
        { store: custody.store.name, role: authRole },
        'unsealer role bootstrapped; initial root token revoked',
      );
      return vault;
    } finally {
      root.close();
    }
  }
}

function subjectOf(jwt: string): { namespace: string; name: string } {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: string };
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(payload.sub ?? '');
  if (match === null) throw new Error('the Vault auth token is not a ServiceAccount token');
  return { namespace: match[1]!, name: match[2]! };
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
