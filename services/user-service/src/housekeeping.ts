import type { Sequelize } from 'sequelize';
import type { Logger } from '@cf/kit';

/**
 * One table housekeeping empties of ended rows: `key` is its primary key, `ended` the SQL condition of a row
 * nothing will read again (`$2`, when `params` gives it, is a bound value).
 */
interface Tidied {
  table: HousekeptTable;
  key: string;
  ended: string;
  params?: (settings: HousekeepingSettings) => unknown[];
}

export type HousekeptTable =
  | 'login_steps'
  | 'webauthn_challenges'
  | 'captcha_answers'
  | 'action_tokens'
  | 'sessions'
  | 'refresh_tokens'
  | 'rate_limits'
  | 'audit_events';

const TABLES: readonly Tidied[] = [
  // A day's grace, so a late answer to a step or a link still says "expired" rather than "invalid".
  { table: 'login_steps', key: 'id', ended: `expires_at < now() - interval '1 day'` },
  { table: 'webauthn_challenges', key: 'challenge', ended: 'expires_at < now()' },
  // A used captcha answer only has to outlive its challenge, which is refused once expired anyway.
  { table: 'captcha_answers', key: 'id', ended: 'expires_at < now()' },
  { table: 'action_tokens', key: 'id', ended: `expires_at < now() - interval '1 day'` },
  // Every read of a session asks for a live one (not revoked, not expired), and its refresh tokens go with it (ON
  // DELETE CASCADE): a day after it ended, nothing reads it again. The revocation feed keeps its own rows.
  {
    table: 'sessions',
    key: 'id',
    ended: `expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'`,
  },
  // Rotated refresh tokens of a live session stay for reuse detection until they expire; a day later they go.
  { table: 'refresh_tokens', key: 'token_hash', ended: `expires_at < now() - interval '1 day'` },
  // rate-limiter-flexible's own clean-up (an unbounded DELETE every 5 minutes from each limiter) is turned off
  // (`clearExpiredByTimeout: false`). `expire` is epoch ms; an expired row counts as zero points anyway.
  { table: 'rate_limits', key: 'key', ended: `expire < (extract(epoch FROM now()) * 1000)::bigint` },
  {
    table: 'audit_events',
    key: 'id',
    ended: 'at < now() - make_interval(days => $2)',
    params: (settings) => [settings.auditRetentionDays],
  },
];

/** One advisory-lock key for every replica: only one of them works at a time (`hashtext` of a fixed name). */
const LOCK = `hashtext('user-service/housekeeping')`;

export interface HousekeepingSettings {
  /** Seconds between rounds; each wait is jittered ±10 % so replicas started together drift apart. */
  intervalSeconds: number;
  /** Days audit events are kept (see `AUDIT_RETENTION_DAYS` in config.ts for why 400). */
  auditRetentionDays: number;
  /** Rows one DELETE removes at most. Default 1000: short statements, short row locks. */
  batchSize?: number;
  /** Rows one round removes at most per table; the next round goes on. Default 50 000. */
  maxRowsPerRound?: number;
  /** Server-side deadline of each statement (PostgreSQL `statement_timeout`), ms. Default 10 000. */
  statementTimeoutMs?: number;
  /** How long `stop()` waits for a running round (it ends after the batch in flight), ms. Default 15 000. */
  stopWaitMs?: number;
}

export interface HousekeepingRound {
  /** Rows deleted per table in this round. */
  deleted: Record<HousekeptTable, number>;
  /** True when another replica held the lock, so this one left the rest of the round to it. */
  yielded: boolean;
}

/**
 * Periodically deletes rows that ended (expired login steps, WebAuthn challenges, captcha answers, account links,
 * sessions expired or revoked a day ago with their refresh tokens, expired refresh tokens, rate-limit counters) and
 * audit events past their retention, in bounded batches: each batch is its own
 * transaction with a `statement_timeout`, picks rows `FOR UPDATE SKIP LOCKED` and holds a transaction-level
 * advisory lock, so replicas never wait on each other nor delete a row twice; a replica that finds the lock taken
 * leaves the round to the holder. Failures are logged and the next round retries.
 */
export class Housekeeping {
  private readonly sequelize: Sequelize;
  private readonly settings: Required<HousekeepingSettings>;
  private readonly logger: Logger;
  private readonly onDeleted: (table: HousekeptTable, count: number) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    sequelize: Sequelize,
    settings: HousekeepingSettings,
    logger: Logger,
    onDeleted: (table: HousekeptTable, count: number) => void = () => {},
  ) {
    this.sequelize = sequelize;
    this.settings = {
      batchSize: 1000,
      maxRowsPerRound: 50_000,
      statementTimeoutMs: 10_000,
      stopWaitMs: 15_000,
      ...settings,
    };
    this.logger = logger;
    this.onDeleted = onDeleted;
  }

  /** Schedules rounds every `intervalSeconds` (jittered), the first one interval after the start. */
  start(): void {
    this.stopping = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping) return;
    const delayMs = this.settings.intervalSeconds * 1000 * (0.9 + Math.random() * 0.2);
    this.timer = setTimeout(() => {
      void this.round()
        .catch((error: unknown) => this.logger.error({ err: error }, 'housekeeping round failed; retrying next round'))
        .finally(() => this.schedule());
    }, delayMs);
    // Housekeeping alone never keeps the process alive.
    this.timer.unref();
  }

  /** Stops scheduling and waits for a running round to end after its batch in flight, at most `stopWaitMs`. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const running = this.running;
    if (running === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.stopWaitMs);
    });
    const outcome = await Promise.race([running, waited]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn('housekeeping still running at shutdown; not waiting longer');
  }

  /**
   * One round over every table (also what the timer runs); resolves with the counts it logged, rejects when a
   * statement failed (the rows deleted before stay deleted). `stop()` waits for it.
   */
  round(): Promise<HousekeepingRound> {
    const round = this.work();
    const settled = round.then(
      () => undefined,
      () => undefined,
    );
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = undefined;
    });
    return round;
  }

  private async work(): Promise<HousekeepingRound> {
    const started = Date.now();
    const deleted = Object.fromEntries(TABLES.map(({ table }) => [table, 0])) as Record<HousekeptTable, number>;
    let yielded = false;
    tables: for (const tidied of TABLES) {
      while (deleted[tidied.table] < this.settings.maxRowsPerRound) {
        if (this.stopping) break tables;
        const limit = Math.min(this.settings.batchSize, this.settings.maxRowsPerRound - deleted[tidied.table]);
        const count = await this.batch(tidied, limit);
        if (count === undefined) {
          yielded = true;
          break tables;
        }
        deleted[tidied.table] += count;
        if (count > 0) this.onDeleted(tidied.table, count);
        if (count < limit) break;
      }
    }
    this.logger.info({ deleted, yielded, ms: Date.now() - started }, 'housekeeping round done');
    return { deleted, yielded };
  }

  /** Deletes up to `limit` ended rows of one table; undefined when another replica holds the lock. */
  private async batch({ table, key, ended, params }: Tidied, limit: number): Promise<number | undefined> {
    return this.sequelize.transaction(async (transaction) => {
      // SET takes no bind parameters; the value is a number from the settings, floored to whole ms.
      await this.sequelize.query(`SET LOCAL statement_timeout = ${Math.floor(this.settings.statementTimeoutMs)}`, {
        transaction,
      });
      const [[lock]] = (await this.sequelize.query(`SELECT pg_try_advisory_xact_lock(${LOCK}) AS locked`, {
        transaction,
      })) as [{ locked: boolean }[], unknown];
      if (lock?.locked !== true) return undefined;
      const [, result] = await this.sequelize.query(
        `DELETE FROM ${table} WHERE ${key} IN (
           SELECT ${key} FROM ${table} WHERE ${ended} LIMIT $1 FOR UPDATE SKIP LOCKED)`,
        { bind: [limit, ...(params?.(this.settings) ?? [])], transaction },
      );
      return (result as { rowCount?: number } | undefined)?.rowCount ?? 0;
    });
  }
}
