import type { Middleware } from 'koa';
import { Counter, type Registry } from 'prom-client';

/**
 * user-service's domain metrics (Prometheus naming; dashboards and alert rules use these names):
 * - `user_logins_total{outcome}`, `user_registrations_total{outcome}`, `user_token_refreshes_total{outcome}`
 *   with outcome `success` | `failure` (wrong credentials, invalid token) | `reused` (refresh-token reuse) |
 *   `rate_limited` | `invalid` (bad input) | `conflict` (email taken) | `error`;
 * - `user_sessions_revoked_total{reason}` with the revocation reason stored on the session
 *   (`logout`, `logout-all`, `revoked-by-user`, `password-changed`, `disabled-by-admin`, `refresh-token-reuse`);
 * - `user_mails_total{kind,outcome}`: queued mails handled by the worker, outcome `sent` | `failed` (retried) |
 *   `skipped` (a superseded link, or a reset for an address no account has);
 * - `user_housekeeping_deleted_rows_total{table}`: ended rows (and audit events past retention) deleted by
 *   src/housekeeping.ts.
 */
export interface UserMetrics {
  logins: Middleware;
  registrations: Middleware;
  refreshes: Middleware;
  sessionsRevoked(reason: string, count: number): void;
  mailHandled(kind: string, outcome: 'sent' | 'failed' | 'skipped'): void;
  housekeepingDeleted(table: string, count: number): void;
}

function outcomeOf(status: number, override: unknown): string {
  if (typeof override === 'string') return override;
  if (status < 400) return 'success';
  if (status === 401) return 'failure';
  if (status === 429) return 'rate_limited';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 413 || status === 415) return 'invalid';
  return 'error';
}

function counting(counter: Counter<'outcome'>): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      counter.inc({ outcome: outcomeOf(ctx.status, ctx.state['outcome']) });
    } catch (error) {
      // Problems are rendered further out; their status is what the client will see.
      const status = (error as { status?: unknown }).status;
      counter.inc({ outcome: outcomeOf(typeof status === 'number' ? status : 500, ctx.state['outcome']) });
      throw error;
    }
  };
}

export function createUserMetrics(registry: Registry): UserMetrics {
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['outcome'] as const, registers: [registry] });
  const revoked = new Counter({
    name: 'user_sessions_revoked_total',
    help: 'Sessions ended, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const mails = new Counter({
    name: 'user_mails_total',
    help: 'Queued mails handled, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const housekept = new Counter({
    name: 'user_housekeeping_deleted_rows_total',
    help: 'Rows deleted by housekeeping, by table',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  return {
    housekeepingDeleted(table, count) {
      if (count > 0) housekept.inc({ table }, count);
    },
    mailHandled(kind, outcome) {
      mails.inc({ kind, outcome });
    },
    logins: counting(counter('user_logins_total', 'Login attempts by outcome')),
    registrations: counting(counter('user_registrations_total', 'Registration attempts by outcome')),
    refreshes: counting(counter('user_token_refreshes_total', 'Refresh-token exchanges by outcome')),
    sessionsRevoked(reason, count) {
      if (count > 0) revoked.inc({ reason }, count);
    },
  };
}
