import { hostname } from 'node:os';
import { env, loadConfig, serverEnv } from '@cf/kit';
import { z } from 'zod';
import { splitKeepsBelowThreshold } from './key-store.ts';

/** Environment of the operator. The names are the contract with charts-ts; see the README. */
export const settingsShape = {
  POD_NAME: z.string().default(hostname()),
  POD_NAMESPACE: z.string().default('default'),
  VAULT_NAMESPACE: z.string().optional(),
  VAULT_POD_SELECTOR: z.string().default('app.kubernetes.io/name=vault'),
  VAULT_ADDRESS_TEMPLATE: z.string().default('http://{pod}.{service}.{namespace}.svc:8200'),
  VAULT_HEADLESS_SERVICE: z.string().default('vault-internal'),
  VAULT_FIRST_POD: z.string().default('vault-0'),
  VAULT_KEY_SECRET: z.string().default('vault-unseal-keys'),
  /** Split the shares over this many Secrets (`<VAULT_KEY_SECRET>-1` …) so that none holds a threshold. */
  VAULT_KEY_SECRETS: z.coerce.number().int().min(1).max(255).default(1),
  VAULT_SECRET_SHARES: z.coerce.number().int().min(1).max(255).default(5),
  VAULT_SECRET_THRESHOLD: z.coerce.number().int().min(1).max(255).default(3),
  VAULT_CONFIG_FILE: z.string().default('/etc/vault-unsealer/vault-config.json'),
  /** Projected ServiceAccount token with audience `vault`: the unsealer's own login into Vault. */
  VAULT_TOKEN_FILE: z.string().default('/var/run/secrets/vault.content-factory.dev/serviceaccount/token'),
  VAULT_AUTH_ROLE: z.string().default('vault-unsealer'),
  /** PEM file of the CA that signed Vault's certificate (as the Vault CLI's VAULT_CACERT); unset: system roots. */
  VAULT_CACERT: z.string().optional(),
  LEASE_NAME: z.string().default('vault-unsealer'),
  LEASE_DURATION_SECONDS: env.seconds(15),
  RESYNC_SECONDS: env.seconds(30),
  ...serverEnv(),
};

export type Settings = ReturnType<typeof loadSettings>;

export function loadSettings(source: Record<string, string | undefined> = process.env) {
  const settings = loadConfig(settingsShape, source);
  if (settings.VAULT_SECRET_THRESHOLD > settings.VAULT_SECRET_SHARES) {
    throw new Error('VAULT_SECRET_THRESHOLD must not exceed VAULT_SECRET_SHARES');
  }
  if (
    !splitKeepsBelowThreshold(settings.VAULT_SECRET_SHARES, settings.VAULT_SECRET_THRESHOLD, settings.VAULT_KEY_SECRETS)
  ) {
    throw new Error(
      'VAULT_KEY_SECRETS leaves a threshold of shares in one Secret: ceil(VAULT_SECRET_SHARES / VAULT_KEY_SECRETS) must be below VAULT_SECRET_THRESHOLD',
    );
  }
  return settings;
}
