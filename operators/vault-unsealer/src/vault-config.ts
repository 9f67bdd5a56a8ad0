import { z } from 'zod';

/**
 * The declarative Vault configuration vault-unsealer applies after the active node is unsealed.
 * charts-ts generates it into a ConfigMap (key `vault-config.json`); the operator validates it with this
 * schema, so the two can never disagree about its shape. Every field is data, never a secret: the database
 * admin password is read at apply time from the Kubernetes Secret the config names.
 */

const name = z.string().regex(/^[a-z0-9][a-z0-9-_]*$/, 'lowercase letters, digits, - and _');
const mountPath = z.string().regex(/^[a-z0-9][a-z0-9-_/]*$/, 'a Vault mount path without leading or trailing /');
const duration = z.string().regex(/^\d+[smhd]?$/, 'a Vault duration such as 90s, 15m, 1h, 7d');

export const KvEngine = z.object({
  type: z.literal('kv-v2'),
  path: mountPath,
  description: z.string().default(''),
});

export const TransitEngine = z.object({
  type: z.literal('transit'),
  path: mountPath,
  description: z.string().default(''),
  /** Named keys created when absent; existing keys are never rotated or deleted by the operator. */
  keys: z
    .array(
      z.object({ name, type: z.enum(['aes256-gcm96', 'chacha20-poly1305', 'ecdsa-p256']).default('aes256-gcm96') }),
    )
    .default([]),
});

export const DatabaseEngine = z.object({
  type: z.literal('database'),
  path: mountPath,
  description: z.string().default(''),
  connections: z.array(
    z.object({
      name,
      plugin: z.literal('postgresql-database-plugin'),
      /** With Vault's `{{username}}`/`{{password}}` placeholders, e.g. `postgresql://{{username}}:{{password}}@host:5432/db`. */
      connectionUrl: z.string().includes('{{username}}').includes('{{password}}'),
      /** The Kubernetes Secret holding the admin login (CloudNativePG's superuser Secret, for instance). */
      adminCredentialsSecret: z.object({
        name,
        /** Default: the operator's namespace. */
        namespace: name.optional(),
        usernameKey: z.string().default('username'),
        passwordKey: z.string().default('password'),
      }),
      allowedRoles: z.array(name),
    }),
  ),
  /** One role per service: short-lived logins that belong to the service's owner role. */
  roles: z.array(
    z.object({
      name,
      connection: name,
      creationStatements: z.array(z.string()).min(1),
      revocationStatements: z.array(z.string()).default([]),
      defaultTtl: duration.default('1h'),
      maxTtl: duration.default('24h'),
    }),
  ),
});

export const SecretEngine = z.discriminatedUnion('type', [KvEngine, TransitEngine, DatabaseEngine]);

export const KubernetesAuth = z.object({
  /** Mount path of the auth method. Default: `kubernetes`. */
  path: mountPath.default('kubernetes'),
  /**
   * API server Vault calls for TokenReview. Default: unset, which lets Vault use the in-cluster
   * address, CA and its own ServiceAccount token (Vault runs as a pod with `system:auth-delegator`).
   */
  kubernetesHost: z.string().optional(),
  /**
   * Out-of-cluster Vault only (tests, a Vault outside Kubernetes): PEM of the API server's CA. When this or
   * `tokenReviewerJwtSecret` is set, Vault stops using its own pod's CA and token (`disable_local_ca_jwt`).
   */
  kubernetesCaCert: z.string().optional(),
  /** Out-of-cluster Vault only: a Secret holding a token allowed to create TokenReviews (`system:auth-delegator`). */
  tokenReviewerJwtSecret: z
    .object({
      name,
      /** Default: the operator's namespace. */
      namespace: name.optional(),
      key: z.string().default('token'),
    })
    .optional(),
  roles: z.array(
    z.object({
      name,
      serviceAccounts: z.array(name).min(1),
      namespaces: z.array(name).min(1),
      policies: z.array(name).min(1),
      /** Required `aud` of the ServiceAccount token. Default: `vault`. */
      audience: z.string().default('vault'),
      ttl: duration.default('1h'),
    }),
  ),
});

export const VaultPolicy = z.object({
  name,
  /** HCL policy text. */
  rules: z.string().min(1),
});

export const VaultConfiguration = z.object({
  secretEngines: z.array(SecretEngine).default([]),
  auth: z.object({ kubernetes: KubernetesAuth.optional() }).default({}),
  policies: z.array(VaultPolicy).default([]),
});

export type VaultConfiguration = z.infer<typeof VaultConfiguration>;
export type VaultConfigurationInput = z.input<typeof VaultConfiguration>;

/** The ConfigMap key charts-ts writes and the operator reads. */
export const VAULT_CONFIG_KEY = 'vault-config.json';
