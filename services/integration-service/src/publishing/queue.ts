import type { Logger } from '@cf/kit';
import { sequelizeSqlExecutor } from '@cf/kit/database/job-queue';
import { PgBoss, type Db, type JobInsert } from 'pg-boss';
import type { Sequelize } from 'sequelize';
import { WakeTimer } from './wake.ts';

/**
 * What a send job carries: which target, at which version (an edit or retry makes older jobs no-ops), and
 * how it is sent (a target's `via` and account never change), so the job is routed without reading it.
 */
export interface SendJob {
  targetId: string;
  version: number;
  /** Absent on jobs queued before it was carried: the target is then read to route it. */
  via?: 'account' | 'bot';
  accountId?: string | null;
  /** Epoch ms of the chat's pacing slot this job already holds (it must not reserve another). */
  slot?: number;
  /** Jobs queued before `slot` existed: true once the job held a slot. */
  slotted?: boolean;
}

/** A target as the store returns it, enough to queue its send. */
export interface QueuedTarget {
  id: string;
  version: number;
  via: 'account' | 'bot';
  account_id: string | null;
}

export const SEND_QUEUE = 'publish-target';

/** Jobs holding a pacing slot are fetched ahead of newly due ones (pg-boss orders by priority, then age). */
const SLOTTED_PRIORITY = 1;

export interface PublishQueueOptions {
  /** How often each worker asks for due jobs when nothing woke it; bounds the lateness of other pods' jobs. */
  pollSeconds: number;
  expireSeconds: number;
  /** Jobs one worker claims in one statement. */
  batchSize: number;
  /** Workers per replica, each claiming its own batches. */
  workers: number;
}

/**
 * The durable schedule of sends: pg-boss on the service's PostgreSQL. Jobs survive restarts, any replica
 * works them (SKIP LOCKED), a job whose pod died expires and runs again elsewhere. A full batch is followed
 * by the next fetch at once (pg-boss's `burstWhenBatchFull`), and the jobs this pod queues wake its workers
 * at their time (`WakeTimer` → pg-boss's `notifyWorker`) instead of at the next poll.
 */
export class PublishQueue {
  private readonly boss: PgBoss;
  private readonly options: PublishQueueOptions;
  private readonly logger: Logger;
  private readonly workerIds: string[] = [];
  private readonly wakes = new WakeTimer(() => this.wakeWorkers());
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
    // One work() per worker, so each has an id notifyWorker can wake (localConcurrency names only the first).
    for (let i = 0; i < this.options.workers; i += 1) {
      const id = await this.boss.work<SendJob>(
        SEND_QUEUE,
        {
          pollingIntervalSeconds: this.options.pollSeconds,
          batchSize: this.options.batchSize,
          burstWhenBatchFull: true,
        },
        async (jobs) => {
          // Each job settles on its own: one failing send must not make pg-boss retry its batch neighbours.
          await Promise.all(
            jobs.map((job) =>
              handler(job.data).catch((error: unknown) => {
                this.logger.warn({ err: error, targetId: job.data.targetId }, 'send job failed; it runs again');
                const { slot: _slot, slotted: _slotted, ...again } = job.data;
                return this.enqueue(again, new Date(Date.now() + 2000));
              }),
            ),
          );
        },
      );
      this.workerIds.push(id);
    }
  }

  /** Schedules `job` to run at `at` (now when in the past), and wakes this pod's workers then. */
  async enqueue(job: SendJob, at: Date): Promise<void> {
    await this.boss.send(SEND_QUEUE, job, {
      startAfter: at,
      ...(job.slot !== undefined ? { priority: SLOTTED_PRIORITY } : {}),
    });
    this.wakeAt(at);
  }

  /**
   * Queues the targets a store transaction wrote, in one statement on the transaction's connection (`db`):
   * both commit, or neither. The caller calls `wakeAt(at)` once the transaction committed.
   */
  readonly enqueueIn = async (targets: QueuedTarget[], at: Date, db: Db): Promise<void> => {
    if (targets.length === 0) return;
    const jobs: JobInsert<SendJob>[] = targets.map((target) => ({
      data: { targetId: target.id, version: target.version, via: target.via, accountId: target.account_id },
      startAfter: at,
    }));
    await this.boss.insert(SEND_QUEUE, jobs, { db });
  };

  /** Wakes this pod's workers at `at` (at once when it has come), so jobs due then need no poll. */
  wakeAt(at: Date): void {
    if (this.started) this.wakes.at(at);
  }

  private wakeWorkers(): void {
    for (const id of this.workerIds) this.boss.notifyWorker(id);
  }

  /** Stops fetching; `graceful` waits (bounded by `timeoutMs`) for running jobs. */
  async stop(graceful: boolean, timeoutMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.wakes.stop();
    await this.boss.stop({ graceful, close: false, timeout: Math.max(1, timeoutMs) });
  }
}
