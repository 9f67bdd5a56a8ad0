import nodeVault from 'node-vault';
import type { Logger } from '../logger.ts';
import { toVaultError, VaultRequestError } from './errors.ts';

export type VaultAuth =
  | { method: 'token'; token: string }
  | {
      method: 'kubernetes';
      role: string;
      /** The ServiceAccount JWT, or a function reading the projected token file (it rotates). */
      jwt: string | (() => Promise<string>);
      /** Default: `kubernetes`. */
      mount?: string;
    };

export interface VaultClientOptions {
  /** e.g. `http://127.0.0.1:8200`. */
  endpoint: string;
  auth: VaultAuth;
  /** Per-request timeout. Default: 5000 ms — a hung Vault must not hang a request. */
  timeoutMs?: number;
  /**
   * PEM of the CA(s) Vault's certificate must chain to, for an `https://` endpoint on an internal CA. The
   * certificate and its hostname are always verified; without `ca` against the system's CAs.
   */
  ca?: string;
  logger?: Logger;
}

export interface KvSecret<Data> {
  data: Data;
  version: number;
}

export interface DatabaseLease {
  username: string;
  password: string;
  leaseId: string;
  /** Seconds the credentials are valid for unless renewed. */
  leaseDuration: number;
  renewable: boolean;
}

interface VaultAuthInfo {
  client_token: string;
  lease_duration: number;
  renewable: boolean;
}

interface VaultResponse<Data> {
  data?: Data;
  auth?: VaultAuthInfo;
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
}

/**
 * A Vault client for services: logs in, keeps its token alive, and exposes the few engines we use
 * (KV v2, transit, database) with typed, secret-free errors.
 */
export class VaultClient {
  private readonly raw: nodeVault.client;
  private readonly options: VaultClientOptions;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: VaultClientOptions) {
    this.options = options;
    this.raw = nodeVault({
      endpoint: options.endpoint,
      // node-vault builds one https.Agent from these (verification stays on: it is never given strictSSL: false);
      // keep-alive, so a TLS handshake is paid once per connection rather than once per request.
      requestOptions: {
        timeout: options.timeoutMs ?? 5000,
        agentOptions: { keepAlive: true },
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
      },
    });
  }

  /** Creates a client and logs in; token renewal runs until `close()`. */
  static async connect(options: VaultClientOptions): Promise<VaultClient> {
    const client = new VaultClient(options);
    await client.login();
    return client;
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  /** Logs in (again), replacing the token, and schedules its renewal. */
  async login(): Promise<void> {
    const auth = this.options.auth;
    if (auth.method === 'token') {
      this.raw.token = auth.token;
      const info = await this.request<{ ttl: number; renewable: boolean }>('GET', '/auth/token/lookup-self');
      this.scheduleRenewal(info.data?.ttl ?? 0, info.data?.renewable ?? false);
      return;
    }
    const jwt = typeof auth.jwt === 'string' ? auth.jwt : await auth.jwt();
    const path = `/auth/${auth.mount ?? 'kubernetes'}/login`;
    const response = await this.request<never>('POST', path, { role: auth.role, jwt });
    if (response.auth === undefined) throw new VaultRequestError(`vault ${path}: no auth in response`, 200, path);
    this.raw.token = response.auth.client_token;
    this.scheduleRenewal(response.auth.lease_duration, response.auth.renewable);
  }

  private scheduleRenewal(ttlSeconds: number, renewable: boolean): void {
    clearTimeout(this.renewTimer);
    if (this.closed || ttlSeconds <= 0) return; // root and periodic-less tokens never expire
    const delayMs = Math.max(1000, ttlSeconds * 1000 * (2 / 3));
    this.renewTimer = setTimeout(() => void this.renewOrRelogin(renewable), delayMs);
    this.renewTimer.unref();
  }

  private async renewOrRelogin(renewable: boolean): Promise<void> {
    try {
      if (renewable) {
        const response = await this.request<never>('POST', '/auth/token/renew-self', {});
        const ttl = response.auth?.lease_duration ?? 0;
        // Near max_ttl Vault grants less than asked: a fresh login beats a token that is about to die.
        if (ttl > 5 || this.options.auth.method === 'token') {
          this.scheduleRenewal(ttl, response.auth?.renewable ?? false);
          return;
        }
      }
      if (this.options.auth.method === 'kubernetes') await this.login();
    } catch (error) {
      this.options.logger?.warn(
        { err: toVaultError(error, '/auth/token/renew-self') },
        'vault token renewal failed; retrying',
      );
      this.renewTimer = setTimeout(() => void this.renewOrRelogin(renewable), 5000);
      this.renewTimer.unref();
    }
  }

  /** Any Vault API call; `path` starts after `/v1`. */
  async request<Data>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST',
    path: string,
    body?: unknown,
  ): Promise<VaultResponse<Data>> {
    try {
      const result: unknown = await this.raw.request({
        path: method === 'LIST' ? `${path}?list=true` : path,
        method: method === 'LIST' ? 'GET' : method,
        ...(body !== undefined ? { json: body } : {}),
      });
      return (result ?? {}) as VaultResponse<Data>;
    } catch (error) {
      throw toVaultError(error, path);
    }
  }

  async kvRead<Data extends Record<string, unknown>>(mount: string, path: string): Promise<KvSecret<Data> | undefined> {
    try {
      const response = await this.request<{ data: Data; metadata: { version: number } }>(
        'GET',
        `/${mount}/data/${path}`,
      );
      const payload = response.data;
      if (payload === undefined || payload.data === null) return undefined; // deleted version
      return { data: payload.data, version: payload.metadata.version };
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  /** Writes a new version; with `cas`, only when the current version is that number (0: only if absent). */
  async kvWrite(
    mount: string,
    path: string,
    data: Record<string, unknown>,
    options: { cas?: number } = {},
  ): Promise<{ version: number }> {
    const body = options.cas !== undefined ? { data, options: { cas: options.cas } } : { data };
    const response = await this.request<{ version: number }>('POST', `/${mount}/data/${path}`, body);
    return { version: response.data?.version ?? 0 };
  }

  /** Encrypts with a transit key that never leaves Vault; returns `vault:v1:...` ciphertext. */
  async transitEncrypt(key: string, plaintext: string | Buffer, mount = 'transit'): Promise<string> {
    const encoded = Buffer.from(plaintext).toString('base64');
    const response = await this.request<{ ciphertext: string }>('POST', `/${mount}/encrypt/${key}`, {
      plaintext: encoded,
    });
    const ciphertext = response.data?.ciphertext;
    if (ciphertext === undefined)
      throw new VaultRequestError(`vault ${mount}/encrypt: no ciphertext`, 200, `/${mount}/encrypt`);
    return ciphertext;
  }

  async transitDecrypt(key: string, ciphertext: string, mount = 'transit'): Promise<Buffer> {
    const response = await this.request<{ plaintext: string }>('POST', `/${mount}/decrypt/${key}`, { ciphertext });
    return Buffer.from(response.data?.plaintext ?? '', 'base64');
  }

  /** Short-lived credentials from the database secrets engine. */
  async databaseCredentials(role: string, mount = 'database'): Promise<DatabaseLease> {
    const response = await this.request<{ username: string; password: string }>('GET', `/${mount}/creds/${role}`);
    if (response.data === undefined || response.lease_id === undefined) {
      throw new VaultRequestError(`vault ${mount}/creds/${role}: no credentials in response`, 200, `/${mount}/creds`);
    }
    return {
      username: response.data.username,
      password: response.data.password,
      leaseId: response.lease_id,
      leaseDuration: response.lease_duration ?? 0,
      renewable: response.renewable ?? false,
    };
  }

  /** Returns the granted duration in seconds (Vault may grant less than asked, near max TTL). */
  async renewLease(leaseId: string, incrementSeconds?: number): Promise<number> {
    const response = await this.request<never>('PUT', '/sys/leases/renew', {
      lease_id: leaseId,
      ...(incrementSeconds !== undefined ? { increment: incrementSeconds } : {}),
    });
    return response.lease_duration ?? 0;
  }

  async revokeLease(leaseId: string): Promise<void> {
    await this.request('PUT', '/sys/leases/revoke', { lease_id: leaseId });
  }

  /** True when Vault answers, is initialized and unsealed. For readiness checks. */
  async healthy(): Promise<boolean> {
    try {
      // node-vault hands back /sys/health bodies whatever the status, so read the state from the body.
      const health = (await this.request('GET', '/sys/health')) as { initialized?: boolean; sealed?: boolean };
      return health.initialized === true && health.sealed === false;
    } catch {
      return false;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.renewTimer);
  }
}
