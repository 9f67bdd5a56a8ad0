import type { Context } from 'koa';
import type { Logger } from '@cf/kit';

export type AuditEvent =
  | 'register'
  | 'login.success'
  | 'login.failure'
  | 'logout'
  | 'logout.all'
  | 'refresh'
  | 'refresh.reuse-detected'
  | 'session.revoked'
  | 'password.changed'
  | 'admin.user-updated'
  | 'admin.sessions-ended'
  | 'email.verification-sent'
  | 'email.verified'
  | 'email.changed'
  | 'password.reset-requested'
  | 'password.reset'
  // Two-factor (issue 18 item 5)
  | 'login.second-factor-required'
  | 'two-factor.enabled'
  | 'two-factor.disabled'
  | 'two-factor.recovery-code-used'
  | 'two-factor.recovery-codes-regenerated'
  | 'totp.enrolled'
  | 'totp.removed'
  | 'passkey.added'
  | 'passkey.removed';

/** One audit event as the request's trail collects it (see `admin/audit-trail.ts`, which stores them). */
export interface AuditRecord {
  at: Date;
  event: AuditEvent;
  ip: string;
  requestId: string | undefined;
  fields: { userId?: string; targetUserId?: string; [key: string]: unknown };
}

/** Where on `ctx.state` the request's audit records wait until the trail writes them (after the handler). */
export const PENDING_AUDIT = 'auditRecords';

/**
 * One structured record per security-relevant event, with who, from where and which request — and never
 * a password, token or key (the logger redacts those field names anyway). When the audit trail's middleware
 * runs (user-service's app), the record is also stored in `audit_events` before the answer is sent.
 */
export function audit(
  ctx: Context,
  logger: Logger,
  event: AuditEvent,
  fields: { userId?: string; reason?: string; [key: string]: unknown },
): void {
  logger.info(
    { audit: true, event, ip: ctx.ip, req_id: ctx.state['requestId'] as string, ...fields },
    `audit ${event}`,
  );
  const pending = ctx.state[PENDING_AUDIT] as AuditRecord[] | undefined;
  pending?.push({ at: new Date(), event, ip: ctx.ip, requestId: ctx.state['requestId'] as string | undefined, fields });
}
