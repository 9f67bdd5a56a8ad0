import { PgBoss, type Job } from 'pg-boss';
import type { SqlExecutor } from '@cf/kit/database/job-queue';
import type { Logger } from '@cf/kit';
import type { ActionTokens } from '../db/action-tokens.ts';
import { renderMail, type MailBrand, type MailRequest } from './templates.ts';
import type { MailTransport } from './transport.ts';

/** One queued mail. No secret is ever queued: a link is rebuilt from its `tokenId` when the mail is sent. */
export type OutboxJob =
  | { kind: 'verify-email'; to: string; tokenId: string }
  /**
   * A reset asked for an address, queued whether or not an account has it, so the request does the same work
   * either way (no enumeration by answer or timing); the worker looks the account up and issues the link.
   */
  | { kind: 'password-reset'; to: string }
  | { kind: 'email-changed'; to: string; newAddress: string }
  | { kind: 'password-reset-done'; to: string };

export interface OutboxSettings {
  /** The web UI's public origin; links point at `${publicUrl}/verify-email#token=…` and `/reset-password#token=…`. */
  publicUrl: string;
  brand: MailBrand;
  /** Attempts after the first; pg-boss waits `retryDelaySeconds`, doubling, capped at 30 min. Default 12 (≈ 24 h). */
  retryLimit?: number;
  retryDelaySeconds?: number;
  verifyHours: number;
  resetMinutes: number;
}

const QUEUE = 'user-mail';

/**
 * Outgoing mail, queued in PostgreSQL (pg-boss) and sent by a worker in every replica, so a slow or failing SMTP
 * server never slows or fails a request (issue 18): the request only inserts a job; sending retries with backoff.
 * Links travel in the URL fragment, which browsers never send to a server, so no access log can hold one.
 */
export class MailOutbox {
  private readonly boss: PgBoss;
  private readonly settings: OutboxSettings;
  private readonly transport: MailTransport;
  private readonly tokens: ActionTokens;
  private readonly logger: Logger;
  private readonly handled: (kind: string, outcome: 'sent' | 'failed' | 'skipped') => void;
  private readonly accountOf: (email: string) => Promise<{ id: string; email: string } | undefined>;

  constructor(deps: {
    executor: SqlExecutor;
    /** The enabled account an address belongs to, if any. */
    accountOf: (email: string) => Promise<{ id: string; email: string } | undefined>;
    transport: MailTransport;
    tokens: ActionTokens;
    logger: Logger;
    settings: OutboxSettings;
    /** Told the outcome of each job (for `user_mails_total`). */
    handled: (kind: string, outcome: 'sent' | 'failed' | 'skipped') => void;
  }) {
    // pg-boss keeps its tables in a schema of its own, migrated under its own advisory lock on start.
    this.boss = new PgBoss({ db: deps.executor, schema: 'pgboss', supervise: true, schedule: false });
    this.boss.on('error', (error: Error) => deps.logger.error({ err: error }, 'mail queue error'));
    this.settings = deps.settings;
    this.transport = deps.transport;
    this.tokens = deps.tokens;
    this.logger = deps.logger;
    this.handled = deps.handled;
    this.accountOf = deps.accountOf;
  }

  async start(): Promise<void> {
    await this.boss.start();
    await this.boss.createQueue(QUEUE, {
      retryLimit: this.settings.retryLimit ?? 12,
      retryDelay: this.settings.retryDelaySeconds ?? 15,
      retryBackoff: true,
      retryDelayMax: 1800,
      // A send that hangs past every SMTP timeout is taken back and retried.
      expireInSeconds: 120,
      deleteAfterSeconds: 7 * 24 * 3600,
    });
    await this.boss.work<OutboxJob>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs) => {
      for (const job of jobs) await this.deliver(job);
    });
  }

  /** Queues one mail; resolves once it is stored (the sending happens later, in any replica). */
  async enqueue(job: OutboxJob): Promise<void> {
    await this.boss.send(QUEUE, job);
  }

  private async request(job: OutboxJob): Promise<{ to: string; mail: MailRequest } | undefined> {
    switch (job.kind) {
      case 'verify-email': {
        const link = await this.tokens.link(job.tokenId);
        // Superseded by a newer link, used or expired before it went out: nothing worth sending.
        if (link === undefined) return undefined;
        const url = `${this.settings.publicUrl}/verify-email#token=${link.secret}`;
        return { to: job.to, mail: { kind: 'verify-email', link: url, hoursValid: this.settings.verifyHours } };
      }
      case 'password-reset': {
        const account = await this.accountOf(job.to);
        if (account === undefined) return undefined;
        const id = await this.tokens.issue(
          account.id,
          'password-reset',
          account.email,
          this.settings.resetMinutes * 60,
        );
        const link = await this.tokens.link(id);
        if (link === undefined) return undefined;
        const url = `${this.settings.publicUrl}/reset-password#token=${link.secret}`;
        // To the address the account holds, not as it was typed.
        return {
          to: account.email,
          mail: { kind: 'password-reset', link: url, minutesValid: this.settings.resetMinutes },
        };
      }
      case 'email-changed':
        return { to: job.to, mail: { kind: 'email-changed', newAddress: job.newAddress } };
      case 'password-reset-done':
        return { to: job.to, mail: { kind: 'password-reset-done' } };
    }
  }

  private async deliver(job: Job<OutboxJob>): Promise<void> {
    const request = await this.request(job.data);
    if (request === undefined) {
      this.handled(job.data.kind, 'skipped');
      return;
    }
    try {
      await this.transport.send(request.to, renderMail(this.settings.brand, request.mail));
      this.handled(job.data.kind, 'sent');
    } catch (error) {
      this.handled(job.data.kind, 'failed');
      // The address and the kind, never the body: it may hold a link.
      this.logger.warn(
        { err: { message: (error as Error).message }, kind: job.data.kind, job: job.id },
        'mail not sent; will retry',
      );
      throw error;
    }
  }

  /** Stops taking jobs and waits (bounded) for the one in flight. */
  async stop(timeoutMs = 10_000): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: false });
    this.transport.close();
  }
}
