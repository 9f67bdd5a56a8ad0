import type { Logger } from '@cf/kit';
import { sequelizeSqlExecutor } from '@cf/kit/database/job-queue';
import { PgBoss, type Db } from 'pg-boss';
import type { Sequelize } from 'sequelize';

/** What a send job carries: which target, at which version (an edit or retry makes older jobs no-ops). */
export interface SendJob {
  targetId: string;
  version: number;
  /** Set once the job holds a reserved pacing slot of its chat, so it does not reserve again. */
  slotted?: boolean;
}

export const SEND_QUEUE = 'publish-target';

export interface PublishQueueOptions {
  pollSeconds: number;
  expireSeconds: number;
  /** Jobs one replica works on at once. */
  batchSize?: number;
}

/**
 * The durable schedule of sends: pg-boss on the service's PostgreSQL. Jobs survive restarts, any replica
 * works them (SKIP LOCKED), a job whose pod died expires and runs again elsewhere.
 */
export class PublishQueue {
  private readonly boss: PgBoss;
  private readonly options: PublishQueueOptions;
  private readonly logger: Logger;
  private started = false;

  constructor(sequelize: Sequelize, logger: Logger, options: PublishQueueOptions) {
    this.options = options;
    this.logger = logger;
    // Expired jobs are found by pg-boss's supervisor: look often enough that a lost send reruns soon after.
    const supervise = Math.max(1, Math.min(60, Math.ceil(options.expireSeconds / 4)));
    this.boss = new PgBoss({
      // The kit's own pool (rotating Vault logins, SET ROLE): pg-boss holds no credentials of its own.
      db: sequelizeSqlExecutor(sequelize),
      schema: 'pgboss',
      schedule: false,
      superviseIntervalSeconds: supervise,
      monitorIntervalSeconds: supervise,
    });
    this.boss.on('error', (error) => logger.warn({ err: error }, 'job queue error'));
  }

  /** Creates pg-boss's schema and the send queue (idempotent), then works due jobs with `handler`. */
  async start(handler: (job: SendJob) => Promise<void>): Promise<void> {
    await this.boss.start();
    this.started = true;
    if ((await this.boss.getQueue(SEND_QUEUE)) === null) {
      await this.boss
        .createQueue(SEND_QUEUE, {
          expireInSeconds: this.options.expireSeconds,
          retryLimit: 10,
          retryDelay: 1,
          deleteAfterSeconds: 7 * 86_400,
        })
        .catch(async (error: unknown) => {
          // Another replica created it in the meantime.
          if ((await this.boss.getQueue(SEND_QUEUE)) === null) throw error;
        });
    }
    await this.boss.work<SendJob>(
      SEND_QUEUE,
      { pollingIntervalSeconds: this.options.pollSeconds, batchSize: this.options.batchSize ?? 20 },
      async (jobs) => {
        // Each job settles on its own: one failing send must not make pg-boss retry its batch neighbours.
        await Promise.all(
          jobs.map((job) =>
            handler(job.data).catch((error: unknown) => {
              this.logger.warn({ err: error, targetId: job.data.targetId }, 'send job failed; it runs again');
              return this.enqueue(job.data, new Date(Date.now() + 2000));
            }),
          ),
        );
      },
    );
  }

  /** Schedules `job` to run at `at` (now when in the past); inside a caller's transaction when `db` is given. */
  async enqueue(job: SendJob, at: Date, db?: Db): Promise<void> {
    await this.boss.send(SEND_QUEUE, job, { startAfter: at, ...(db !== undefined ? { db } : {}) });
  }

  /** `enqueue` for the targets a store transaction wrote (see `EnqueueIn`). */
  readonly enqueueIn = async (targets: { id: string; version: number }[], at: Date, db: Db): Promise<void> => {
    for (const target of targets) await this.enqueue({ targetId: target.id, version: target.version }, at, db);
  };

  /** Stops fetching; `graceful` waits (bounded by `timeoutMs`) for running jobs. */
  async stop(graceful: boolean, timeoutMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful, close: false, timeout: Math.max(1, timeoutMs) });
  }
}
