import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '@cf/kit';
import { PENDING_AUDIT, type AuditRecord } from '../audit.ts';

/** One stored audit event, as the admin route answers it. */
export interface AuditEventRow {
  id: string;
  at: Date;
  event: string;
  /** Who caused it (the account itself, or the administrator acting on it); null when unknown. */
  actor: { id: string; email: string | null } | null;
  ip: string | null;
  /** Event-specific facts (reason codes, counts, the new role); never a secret. */
  details: Record<string, string | number | boolean | null>;
}

/** Field names whose values may be secret: never stored, whatever an event passes (defence in depth). */
const SECRET_KEY = /pass|token|secret|code|key|hash|cookie|otp/i;
/** Longest detail value stored (characters); longer strings are cut. */
const MAX_DETAIL_CHARS = 200;

/** The event's facts without the ids (stored as columns) and without anything that could be a secret. */
export function auditDetails(fields: AuditRecord['fields']): AuditEventRow['details'] {
  const details: AuditEventRow['details'] = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'userId' || key === 'targetUserId' || SECRET_KEY.test(key)) continue;
    if (typeof value === 'string') details[key] = value.slice(0, MAX_DETAIL_CHARS);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) details[key] = value;
  }
  return details;
}

/**
 * The per-account audit trail in PostgreSQL (`audit_events`, migration 0007). Every `audit()` call of a request
 * is collected on the request and written in one INSERT once the handler is done — also when it threw (a failed
 * login is audited, then answered 401) — and before the answer leaves, so an administrator reading the trail
 * right after sees the event. A failed write is logged (the log record stays the primary trail) and does not
 * change the answer: the action it records has already happened.
 */
export class AuditTrail {
  private readonly deps: { sequelize: Sequelize; logger: Logger };

  constructor(deps: AuditTrail['deps']) {
    this.deps = deps;
  }

  /** Collects the request's audit records and stores them after the handler. */
  middleware(): Middleware {
    return async (ctx, next) => {
      const pending: AuditRecord[] = [];
      ctx.state[PENDING_AUDIT] = pending;
      try {
        await next();
      } finally {
        if (pending.length > 0) {
          await this.write(pending).catch((error: unknown) =>
            this.deps.logger.error({ err: error, events: pending.length }, 'audit trail write failed'),
          );
        }
      }
    };
  }

  /** Stores records in one statement, in the order given. */
  async write(records: readonly AuditRecord[]): Promise<void> {
    const values: string[] = [];
    const bind: unknown[] = [];
    for (const record of records) {
      const subject = record.fields.targetUserId ?? record.fields.userId ?? null;
      const actor = record.fields.userId ?? null;
      const row = [
        randomUUID(),
        record.at,
        actor,
        subject,
        record.event,
        record.ip,
        record.requestId ?? null,
        JSON.stringify(auditDetails(record.fields)),
      ];
      const base = bind.length;
      values.push(`(${row.map((_, i) => `$${base + i + 1}`).join(', ')})`);
      bind.push(...row);
    }
    await this.deps.sequelize.query(
      `INSERT INTO audit_events (id, at, actor_user_id, subject_user_id, event, ip, request_id, details)
       VALUES ${values.join(', ')}`,
      { bind },
    );
  }

  /** One page of the events about `userId`, newest first, and how many there are in all. */
  async page(userId: string, offset: number, limit: number): Promise<{ events: AuditEventRow[]; total: number }> {
    const rows = await this.deps.sequelize.query<{
      id: string;
      at: Date;
      event: string;
      actor_user_id: string | null;
      actor_email: string | null;
      ip: string | null;
      details: AuditEventRow['details'];
    }>(
      `SELECT e.id, e.at, e.event, e.actor_user_id, u.email AS actor_email, e.ip, e.details
       FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id
       WHERE e.subject_user_id = $1 ORDER BY e.at DESC, e.seq DESC OFFSET $2 LIMIT $3`,
      { bind: [userId, offset, limit], type: QueryTypes.SELECT },
    );
    const [count] = await this.deps.sequelize.query<{ total: string }>(
      'SELECT count(*) AS total FROM audit_events WHERE subject_user_id = $1',
      { bind: [userId], type: QueryTypes.SELECT },
    );
    return {
      events: rows.map((row) => ({
        id: row.id,
        at: row.at,
        event: row.event,
        actor: row.actor_user_id === null ? null : { id: row.actor_user_id, email: row.actor_email },
        ip: row.ip,
        details: row.details,
      })),
      total: Number(count?.total ?? 0),
    };
  }
}
