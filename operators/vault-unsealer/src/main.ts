// vault-unsealer entry point: serves /healthz, /readyz, /metrics and /status at once, then campaigns for the
// Lease and, while leading, keeps Vault initialized, unsealed and configured.
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { createApp, createLogger, listen, shutdownOnSignals } from '@cf/kit';
import { Operator } from './operator.ts';
import { loadSettings } from './settings.ts';
import { trustVaultCa } from './vault-tls.ts';

const settings = loadSettings();
if (settings.VAULT_CACERT !== undefined) trustVaultCa(await readFile(settings.VAULT_CACERT, 'utf8'));
const logger = createLogger({ name: 'vault-unsealer', level: settings.LOG_LEVEL });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault();

const { app, router, metrics } = createApp({
  name: 'vault-unsealer',
  logger,
  readiness: { kubernetes: async () => operator.connected },
});
router.get('/status', (ctx) => {
  ctx.body = operator.status();
});

const operator = new Operator({
  kubeConfig,
  logger,
  registry: metrics.registry,
  identity: settings.POD_NAME,
  namespace: settings.POD_NAMESPACE,
  vaultNamespace: settings.VAULT_NAMESPACE ?? settings.POD_NAMESPACE,
  podSelector: settings.VAULT_POD_SELECTOR,
  addressTemplate: settings.VAULT_ADDRESS_TEMPLATE,
  headlessService: settings.VAULT_HEADLESS_SERVICE,
  firstPod: settings.VAULT_FIRST_POD,
  keySecret: settings.VAULT_KEY_SECRET,
  keySecrets: settings.VAULT_KEY_SECRETS,
  shares: settings.VAULT_SECRET_SHARES,
  threshold: settings.VAULT_SECRET_THRESHOLD,
  configFile: settings.VAULT_CONFIG_FILE,
  leaseName: settings.LEASE_NAME,
  leaseDurationMs: settings.LEASE_DURATION_SECONDS * 1000,
  renewDeadlineMs: settings.LEASE_DURATION_SECONDS * 1000 * (2 / 3),
  retryPeriodMs: Math.max(500, (settings.LEASE_DURATION_SECONDS * 1000) / 7),
  resyncMs: settings.RESYNC_SECONDS * 1000,
  authRole: settings.VAULT_AUTH_ROLE,
  vaultToken: async () => (await readFile(settings.VAULT_TOKEN_FILE, 'utf8')).trim(),
});

const server = await listen(app, { port: settings.PORT, host: settings.HOST });
logger.info({ url: server.url, namespace: settings.POD_NAMESPACE, identity: settings.POD_NAME }, 'listening');
operator.start();
shutdownOnSignals({ logger, server, cleanup: [() => operator.stop()] });
