import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '@cf/kit';

/** One ended session, as followers see it. */
export interface Revocation {
  /** The session id (`sid` claim) whose access tokens must be refused. */
  sid: string;
  /** Seconds since the epoch the session ended; followers measure their lag from it. */
  revokedAt: number;
  /** Seconds since the epoch after which no access token of the session can be valid any more. */
  until: number;
}

export interface RevocationPage {
  /** The feed position after these revocations; ask with `after=version` next. */
  version: number;
  revocations: Revocation[];
  /** More revocations than one page holds; ask again at once. */
  more: boolean;
}

export interface RevocationFeedOptions {
  /** The longest access-token lifetime (s): a revocation older than this (plus skew) can no longer matter. */
  retentionSeconds: number;
  /** Largest page. Default: 5000. */
  pageSize?: number;
  /** How often a waiting poll reads the feed again, for a notification the listener missed (ms). Default: 1000. */
  recheckMs?: number;
}

interface PgClient {
  query(sql: string): Promise<unknown>;
  on(event: 'notification' | 'error' | 'end', listener: () => void): void;
  removeAllListeners(event: string): void;
}

interface ConnectionManager {
  getConnection(options: { type: 'read' | 'write' }): Promise<PgClient>;
  releaseConnection(connection: PgClient): Promise<void> | void;
}

const SKEW_SECONDS = 60;

/**
 * The session-revocation feed: rows the database triggers write for every ended session, served to
 * followers (api-gateway) by long poll. A `LISTEN session_revoked` connection wakes waiting polls the
 * moment any replica commits a revocation; a re-check every `recheckMs` (1 s) covers a lost connection.
 */
export class RevocationFeed {
  private readonly sequelize: Sequelize;
  private readonly logger: Logger;
  private readonly options: RevocationFeedOptions;
  private waiters = new Set<() => void>();
  private listener: PgClient | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastPrune = 0;
  private readonly stopping: Promise<void>;
  private stopLoop!: () => void;

  constructor(sequelize: Sequelize, logger: Logger, options: RevocationFeedOptions) {
    this.sequelize = sequelize;
    this.logger = logger;
    this.options = options;
    this.stopping = new Promise((resolve) => (this.stopLoop = resolve));
  }

  private get connections(): ConnectionManager {
    return (this.sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  }

  /** Holds one pooled connection for LISTEN, re-acquired with backoff when it drops. */
  start(): void {
    this.loop ??= (async () => {
      let backoffMs = 250;
      while (!this.stopped) {
        let client: PgClient | undefined;
        try {
          client = await this.connections.getConnection({ type: 'write' });
          if (this.stopped) {
            await this.release(client);
            break;
          }
          this.listener = client;
          const lost = new Promise<void>((resolve) => {
            client!.on('error', resolve);
            client!.on('end', resolve);
          });
          client.on('notification', () => this.wake());
          await client.query('LISTEN session_revoked');
          backoffMs = 250;
          this.wake(); // anything committed while we were not listening
          await Promise.race([lost, this.stopping]);
        } catch (error) {
          if (!this.stopped) this.logger.warn({ err: error }, 'revocation listener lost; retrying');
        }
        if (client !== undefined && !this.stopped) {
          client.removeAllListeners('notification');
          await this.release(client);
        }
        this.listener = undefined;
        // Cut short by stop(): shutdown does not wait out a pause of up to 5 s while PostgreSQL is away.
        if (!this.stopped) await Promise.race([sleep(backoffMs, undefined, { ref: false }), this.stopping]);
        backoffMs = Math.min(backoffMs * 2, 5000);
      }
    })();
  }

  private async release(client: PgClient): Promise<void> {
    try {
      await this.connections.releaseConnection(client);
    } catch {
      // the pool drops a broken connection itself
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const resolve of waiters) resolve();
  }

  /** Resolves on the next notification, or after `ms`. */
  private async nextChange(ms: number): Promise<void> {
    let resolve!: () => void;
    const woken = new Promise<void>((done) => (resolve = done));
    this.waiters.add(resolve);
    const timer = setTimeout(resolve, ms);
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(resolve);
    }
  }

  private async page(after: number): Promise<RevocationPage> {
    const limit = this.options.pageSize ?? 5000;
    const retention = this.options.retentionSeconds + SKEW_SECONDS;
    // The head first, then rows up to it: a row committing between the two reads is left for the next page.
    const head = await this.version();
    const rows = await this.sequelize.query<{ seq: string; session_id: string; revoked_at: string }>(
      `SELECT seq, session_id, extract(epoch FROM revoked_at) AS revoked_at FROM session_revocations
       WHERE seq > $1 AND seq <= $2 AND revoked_at > now() - make_interval(secs => $3) ORDER BY seq LIMIT $4`,
      { bind: [after, head, retention, limit], type: QueryTypes.SELECT },
    );
    const more = rows.length === limit;
    return {
      version: more ? Number(rows.at(-1)!.seq) : head,
      more,
      revocations: rows.map((row) => ({
        sid: row.session_id,
        revokedAt: Number(row.revoked_at),
        until: Math.ceil(Number(row.revoked_at)) + retention,
      })),
    };
  }

  /** The feed's current position (the last revocation's sequence number; 0 when none). */
  async version(): Promise<number> {
    const head = await this.sequelize.query<{ version: string }>(
      'SELECT COALESCE(max(seq), 0) AS version FROM session_revocations',
      { type: QueryTypes.SELECT },
    );
    return Number(head[0]?.version ?? 0);
  }

  /**
   * Revocations after feed position `after` (0: every one still relevant). With nothing new, waits up to
   * `waitMs` for one. A follower whose position is ahead of the feed (a restored database) gets the full list.
   */
  async since(after: number, waitMs: number): Promise<RevocationPage> {
    await this.prune();
    const deadline = Date.now() + waitMs;
    for (;;) {
      const page = await this.page(after);
      if (page.version < after) return this.page(0);
      if (page.revocations.length > 0 || page.version !== after || this.stopped) return page;
      const left = deadline - Date.now();
      if (left <= 0) return page;
      await this.nextChange(Math.min(left, this.options.recheckMs ?? 1000));
    }
  }

  /** Drops rows no follower can need, at most once a minute. */
  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    await this.sequelize.query(
      'DELETE FROM session_revocations WHERE revoked_at < now() - make_interval(secs => $1) AND seq < (SELECT max(seq) FROM session_revocations)',
      { bind: [2 * (this.options.retentionSeconds + SKEW_SECONDS)] },
    );
  }

  /** Ends waiting polls (they answer what they have) and gives the LISTEN connection back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopLoop();
    this.wake();
    const listener = this.listener;
    if (listener !== undefined) {
      listener.removeAllListeners('notification');
      await listener.query('UNLISTEN *').catch(() => undefined);
      await this.release(listener);
    }
    await this.loop;
  }
}
