import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.ts';
import type { VaultClient } from '../vault/client.ts';

export interface DatabaseCredentials {
  username: string;
  password: string;
}

/**
 * Where a pool gets its database login. `rotated` fires with the username that just became stale; the
 * pool retires that user's connections and then calls `retire(username)` so the old login can be revoked.
 */
export interface CredentialSource extends EventEmitter<{ rotated: [staleUsername: string] }> {
  current(): Promise<DatabaseCredentials>;
  retire(username: string): Promise<void>;
  close(): Promise<void>;
}

/** Fixed credentials for local runs and tests. */
export class StaticCredentials extends EventEmitter<{ rotated: [string] }> implements CredentialSource {
  private readonly credentials: DatabaseCredentials;

  constructor(credentials: DatabaseCredentials) {
    super();
    this.credentials = credentials;
  }

  async current(): Promise<DatabaseCredentials> {
    return this.credentials;
  }

  async retire(): Promise<void> {}

  async close(): Promise<void> {}
}

export interface VaultCredentialsOptions {
  vault: VaultClient;
  /** Database engine role, one per service. */
  role: string;
  /** Default: `database`. */
  mount?: string;
  logger?: Logger;
  /**
   * Rotate when Vault grants fewer seconds than this on renewal (the lease nears its max TTL).
   * Default: 30 — enough for in-flight queries on the old login to finish.
   */
  rotateWithinSeconds?: number;
}

/**
 * Short-lived per-service credentials from Vault's database engine. The lease is renewed at two thirds
 * of its duration; when Vault stops extending it, fresh credentials are fetched and the old lease is
 * revoked only once the pool has let go of it.
 */
export class VaultDatabaseCredentials extends EventEmitter<{ rotated: [string] }> implements CredentialSource {
  private readonly options: VaultCredentialsOptions;
  private lease: { username: string; password: string; leaseId: string } | undefined;
  private pending: Promise<DatabaseCredentials> | undefined;
  private readonly retiring = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: VaultCredentialsOptions) {
    super();
    this.options = options;
  }

  async current(): Promise<DatabaseCredentials> {
    if (this.lease !== undefined) return { username: this.lease.username, password: this.lease.password };
    this.pending ??= this.issue().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Fetches new credentials now; the current ones go stale and are revoked once unused. */
  async rotate(): Promise<DatabaseCredentials> {
    const stale = this.lease;
    const fresh = await this.issue();
    if (stale !== undefined) {
      this.retiring.set(stale.username, stale.leaseId);
      this.options.logger?.info({ role: this.options.role }, 'database credentials rotated');
      this.emit('rotated', stale.username);
    }
    return fresh;
  }

  async retire(username: string): Promise<void> {
    const leaseId = this.retiring.get(username);
    if (leaseId === undefined) return;
    this.retiring.delete(username);
    try {
      await this.options.vault.revokeLease(leaseId);
    } catch (error) {
      // Not fatal: the lease expires on its own at its TTL.
      this.options.logger?.warn({ err: error }, 'revoking stale database lease failed');
    }
  }

  private async issue(): Promise<DatabaseCredentials> {
    const lease = await this.options.vault.databaseCredentials(this.options.role, this.options.mount);
    this.lease = { username: lease.username, password: lease.password, leaseId: lease.leaseId };
    this.schedule(lease.leaseDuration, lease.renewable);
    return { username: lease.username, password: lease.password };
  }

  private schedule(durationSeconds: number, renewable: boolean): void {
    clearTimeout(this.timer);
    if (this.closed || durationSeconds <= 0) return;
    const threshold = this.options.rotateWithinSeconds ?? 30;
    const delayMs = Math.max(500, durationSeconds * 1000 * (2 / 3));
    this.timer = setTimeout(() => void this.renewOrRotate(renewable, threshold), delayMs);
    this.timer.unref();
  }

  private async renewOrRotate(renewable: boolean, threshold: number): Promise<void> {
    const lease = this.lease;
    if (lease === undefined || this.closed) return;
    try {
      if (renewable) {
        const granted = await this.options.vault.renewLease(lease.leaseId);
        if (granted >= threshold) {
          this.schedule(granted, renewable);
          return;
        }
      }
      await this.rotate();
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'database lease renewal failed; rotating');
      try {
        await this.rotate();
      } catch (rotateError) {
        this.options.logger?.error({ err: rotateError }, 'database credential rotation failed; retrying in 5 s');
        this.timer = setTimeout(() => void this.renewOrRotate(renewable, threshold), 5000);
        this.timer.unref();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const leases = [...this.retiring.values(), ...(this.lease ? [this.lease.leaseId] : [])];
    this.retiring.clear();
    this.lease = undefined;
    await Promise.all(leases.map((leaseId) => this.options.vault.revokeLease(leaseId).catch(() => undefined)));
  }
}
