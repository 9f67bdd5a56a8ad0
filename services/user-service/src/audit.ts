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

/**
 * One structured record per security-relevant event, with who, from where and which request — and never
 * a password, token or key (the logger redacts those field names anyway).
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
}
