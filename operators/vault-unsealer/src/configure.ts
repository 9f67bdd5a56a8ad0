import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CoreV1Api } from '@kubernetes/client-node';
import { VaultError, VaultNotFoundError, type VaultClient } from '@cf/kit';
import { parse as parseYaml } from 'yaml';
import { VaultConfiguration } from './vault-config.ts';

type KubernetesAuthConfig = NonNullable<VaultConfiguration['auth']['kubernetes']>;

/** The policy of the unsealer's own Kubernetes-auth role: manage engines, auth and policies; read no secret. */
export const UNSEALER_POLICY = `# Managed by vault-unsealer: what applying the declarative configuration needs, nothing more.
# No delete anywhere, and no path that reads or issues a secret (kv data, transit decrypt, database creds).
# Creating a transit key is an 'update' (that path has no existence check).
path "sys/mounts" { capabilities = ["read"] }
path "sys/mounts/*" { capabilities = ["create", "read", "update"] }
path "sys/auth" { capabilities = ["read"] }
path "sys/auth/*" { capabilities = ["create", "read", "update", "sudo"] }
path "sys/policies/acl/*" { capabilities = ["create", "read", "update"] }
path "+/keys/*" { capabilities = ["create", "read", "update"] }
path "+/config/*" { capabilities = ["create", "read", "update"] }
path "+/roles/*" { capabilities = ["create", "read", "update"] }
path "auth/+/config" { capabilities = ["create", "read", "update"] }
path "auth/+/role/*" { capabilities = ["create", "read", "update"] }
`;

export const UNSEALER_POLICY_NAME = 'vault-unsealer';

/** Reads the mounted configuration (JSON or YAML); undefined when the file does not exist. */
export async function loadVaultConfiguration(file: string): Promise<VaultConfiguration | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return VaultConfiguration.parse(parseYaml(text));
}

export function durationSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value);
  if (match === null) throw new Error(`not a duration: ${value}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  a !== undefined && a.length === b.length && [...a].sort().every((item, index) => item === [...b].sort()[index]);

const fingerprint = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

export interface ApplyOptions {
  vault: VaultClient;
  core: CoreV1Api;
  /** Namespace of Secrets named without one. */
  defaultNamespace: string;
  /**
   * Hashes of the write-only inputs (database admin password, reviewer token) last written, per object: Vault
   * never reads them back, so this memory decides whether they changed. A new process writes them once.
   */
  written: Map<string, string>;
}

/**
 * Applies the declarative configuration idempotently: every object is read first and written only when absent
 * or different, so a second pass changes nothing. Returns what it changed ("database/roles/user-service", ...).
 * Nothing is ever deleted or rotated: objects the configuration no longer names stay as they are.
 */
export async function applyConfiguration(options: ApplyOptions, config: VaultConfiguration): Promise<string[]> {
  const changes: string[] = [];
  const { vault } = options;
  const mounts = ((
    await vault.request<Record<string, { type: string; options?: { version?: string } }>>('GET', '/sys/mounts')
  ).data ?? {}) as Record<string, { type: string; options?: { version?: string } | null }>;
  for (const engine of config.secretEngines) {
    const existing = mounts[`${engine.path}/`];
    const type = engine.type === 'kv-v2' ? 'kv' : engine.type;
    if (existing === undefined) {
      await vault.request('POST', `/sys/mounts/${engine.path}`, {
        type,
        description: engine.description,
        ...(engine.type === 'kv-v2' ? { options: { version: '2' } } : {}),
      });
      changes.push(`sys/mounts/${engine.path}`);
    } else if (existing.type !== type) {
      throw new Error(`mount ${engine.path} exists with type ${existing.type}, not ${type}; not remounting it`);
    } else if (engine.type === 'kv-v2' && existing.options?.version !== '2') {
      await vault.request('POST', `/sys/mounts/${engine.path}/tune`, { options: { version: '2' } });
      changes.push(`sys/mounts/${engine.path}/tune`);
    }
    if (engine.type === 'transit') {
      for (const key of engine.keys) {
        if ((await readOptional(vault, `/${engine.path}/keys/${key.name}`)) === undefined) {
          await vault.request('POST', `/${engine.path}/keys/${key.name}`, { type: key.type });
          changes.push(`${engine.path}/keys/${key.name}`);
        }
      }
    }
    if (engine.type === 'database') {
      for (const connection of engine.connections) {
        const secretRef = connection.adminCredentialsSecret;
        const secret = await options.core.readNamespacedSecret({
          name: secretRef.name,
          namespace: secretRef.namespace ?? options.defaultNamespace,
        });
        const field = (key: string): string => {
          const value = secret.data?.[key];
          if (value === undefined) throw new Error(`Secret ${secretRef.name} has no field ${key}`);
          return Buffer.from(value, 'base64').toString('utf8');
        };
        const username = field(secretRef.usernameKey);
        const password = field(secretRef.passwordKey);
        const path = `${engine.path}/config/${connection.name}`;
        const current = await readOptional<{
          plugin_name?: string;
          allowed_roles?: string[];
          connection_details?: { connection_url?: string; username?: string };
        }>(vault, `/${path}`);
        const print = fingerprint(username, password, connection.connectionUrl);
        const same =
          current !== undefined &&
          current.plugin_name === connection.plugin &&
          current.connection_details?.connection_url === connection.connectionUrl &&
          current.connection_details?.username === username &&
          sameSet(current.allowed_roles, connection.allowedRoles) &&
          options.written.get(path) === print;
        if (!same) {
          await vault.request('POST', `/${path}`, {
            plugin_name: connection.plugin,
            connection_url: connection.connectionUrl,
            username,
            password,
            allowed_roles: connection.allowedRoles,
            verify_connection: true,
          });
          options.written.set(path, print);
          changes.push(path);
        }
      }
      for (const role of engine.roles) {
        const path = `${engine.path}/roles/${role.name}`;
        const current = await readOptional<{
          db_name?: string;
          creation_statements?: string[];
          revocation_statements?: string[];
          default_ttl?: number;
          max_ttl?: number;
        }>(vault, `/${path}`);
        const wanted = {
          db_name: role.connection,
          creation_statements: role.creationStatements,
          revocation_statements: role.revocationStatements,
          default_ttl: durationSeconds(role.defaultTtl),
          max_ttl: durationSeconds(role.maxTtl),
        };
        const same =
          current !== undefined &&
          current.db_name === wanted.db_name &&
          JSON.stringify(current.creation_statements ?? []) === JSON.stringify(wanted.creation_statements) &&
          JSON.stringify(current.revocation_statements ?? []) === JSON.stringify(wanted.revocation_statements) &&
          current.default_ttl === wanted.default_ttl &&
          current.max_ttl === wanted.max_ttl;
        if (!same) {
          await vault.request('POST', `/${path}`, wanted);
          changes.push(path);
        }
      }
    }
  }
  for (const policy of config.policies) {
    changes.push(...(await ensurePolicy(vault, policy.name, policy.rules)));
  }
  const kubernetes = config.auth.kubernetes;
  if (kubernetes !== undefined) {
    changes.push(...(await ensureKubernetesAuth(options, kubernetes)));
    for (const role of kubernetes.roles) {
      changes.push(
        ...(await ensureKubernetesRole(vault, kubernetes.path, role.name, {
          bound_service_account_names: role.serviceAccounts,
          bound_service_account_namespaces: role.namespaces,
          token_policies: role.policies,
          audience: role.audience,
          token_ttl: durationSeconds(role.ttl),
        })),
      );
    }
  }
  return changes;
}

async function readOptional<Data>(vault: VaultClient, path: string): Promise<Data | undefined> {
  try {
    return (await vault.request<Data>('GET', path)).data ?? undefined;
  } catch (error) {
    if (error instanceof VaultNotFoundError) return undefined;
    throw error;
  }
}

export async function ensurePolicy(vault: VaultClient, name: string, rules: string): Promise<string[]> {
  const current = await readOptional<{ policy?: string }>(vault, `/sys/policies/acl/${name}`);
  if (current?.policy?.trim() === rules.trim()) return [];
  await vault.request('PUT', `/sys/policies/acl/${name}`, { policy: rules });
  return [`sys/policies/acl/${name}`];
}

export async function ensureKubernetesAuth(options: ApplyOptions, auth: KubernetesAuthConfig): Promise<string[]> {
  const { vault } = options;
  const changes: string[] = [];
  const methods = ((await vault.request('GET', '/sys/auth')).data ?? {}) as Record<string, { type: string }>;
  const mounted = methods[`${auth.path}/`];
  if (mounted === undefined) {
    await vault.request('POST', `/sys/auth/${auth.path}`, { type: 'kubernetes' });
    changes.push(`sys/auth/${auth.path}`);
  } else if (mounted.type !== 'kubernetes') {
    throw new Error(`auth path ${auth.path} holds a ${mounted.type} method, not kubernetes`);
  }
  let reviewerJwt: string | undefined;
  if (auth.tokenReviewerJwtSecret !== undefined) {
    const ref = auth.tokenReviewerJwtSecret;
    const secret = await options.core.readNamespacedSecret({
      name: ref.name,
      namespace: ref.namespace ?? options.defaultNamespace,
    });
    const value = secret.data?.[ref.key];
    if (value === undefined) throw new Error(`Secret ${ref.name} has no field ${ref.key}`);
    reviewerJwt = Buffer.from(value, 'base64').toString('utf8');
  }
  const outOfCluster = auth.kubernetesCaCert !== undefined || reviewerJwt !== undefined;
  const wanted = {
    kubernetes_host: auth.kubernetesHost ?? 'https://kubernetes.default.svc',
    disable_local_ca_jwt: outOfCluster,
    ...(auth.kubernetesCaCert !== undefined ? { kubernetes_ca_cert: auth.kubernetesCaCert } : {}),
  };
  const path = `auth/${auth.path}/config`;
  const current = await readOptional<{
    kubernetes_host?: string;
    kubernetes_ca_cert?: string;
    disable_local_ca_jwt?: boolean;
  }>(vault, `/${path}`);
  const print = fingerprint(reviewerJwt ?? '');
  const same =
    current !== undefined &&
    current.kubernetes_host === wanted.kubernetes_host &&
    (current.disable_local_ca_jwt ?? false) === wanted.disable_local_ca_jwt &&
    (wanted.kubernetes_ca_cert === undefined ||
      current.kubernetes_ca_cert?.trim() === wanted.kubernetes_ca_cert.trim()) &&
    (reviewerJwt === undefined || options.written.get(path) === print);
  if (!same) {
    await vault.request('POST', `/${path}`, {
      ...wanted,
      ...(reviewerJwt !== undefined ? { token_reviewer_jwt: reviewerJwt } : {}),
    });
    options.written.set(path, print);
    changes.push(path);
  }
  return changes;
}

export interface KubernetesRole {
  bound_service_account_names: string[];
  bound_service_account_namespaces: string[];
  token_policies: string[];
  audience: string;
  token_ttl: number;
  token_max_ttl?: number;
}

export async function ensureKubernetesRole(
  vault: VaultClient,
  authPath: string,
  name: string,
  wanted: KubernetesRole,
): Promise<string[]> {
  const path = `auth/${authPath}/role/${name}`;
  const current = await readOptional<KubernetesRole>(vault, `/${path}`);
  const same =
    current !== undefined &&
    sameSet(current.bound_service_account_names, wanted.bound_service_account_names) &&
    sameSet(current.bound_service_account_namespaces, wanted.bound_service_account_namespaces) &&
    sameSet(current.token_policies, wanted.token_policies) &&
    current.audience === wanted.audience &&
    current.token_ttl === wanted.token_ttl &&
    (wanted.token_max_ttl === undefined || current.token_max_ttl === wanted.token_max_ttl);
  if (same) return [];
  await vault.request('POST', `/${path}`, wanted);
  return [path];
}

/** True for Vault answers that mean "this login cannot work yet" (no auth method, no role, refused). */
export function isLoginRefusal(error: unknown): boolean {
  return error instanceof VaultError && [400, 401, 403, 404].includes(error.status);
}
