import { z } from 'zod';
import { AdminUser } from '../routes/responses.ts';

// The admin console's inputs and answers (issue 18 item 6); the OpenAPI document and the web's typed client
// come from these.

/** Page number from 1 and page size 1–100 (a larger size is capped, not refused). */
const Paging = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .transform((size) => Math.min(size, 100)),
};

export const AdminUsersQuery = z.object({
  ...Paging,
  /** Part of the email address, any case; empty or absent: every account. */
  q: z.string().max(200).default(''),
});

export const AuditQuery = z.object(Paging);

/** Second factors without secrets (`two-factor/state.ts`). */
export const SecondFactors = z.object({
  totp: z.boolean(),
  passkeys: z.int().min(0),
  recoveryCodesLeft: z.int().min(0),
});

export const AdminListedUser = AdminUser.extend({ secondFactors: SecondFactors });

export const AdminUserList = z.object({
  users: z.array(AdminListedUser),
  page: z.int().min(1),
  pageSize: z.int().min(1).max(100),
  /** Accounts matching the search, on every page. */
  total: z.int().min(0),
});

export const AdminUserDetail = AdminListedUser.extend({
  /** Sessions neither ended nor expired. */
  activeSessions: z.int().min(0),
});

export const SessionsEnded = z.object({ endedSessions: z.int().min(0) });

export const AuditEvent = z.object({
  id: z.uuid(),
  at: z.iso.datetime(),
  /** An event name from user-service's `AuditEvent` (e.g. `login.failure`); the console labels it. */
  event: z.string(),
  /** Who caused it: the account itself or an administrator; null when not known. */
  actor: z.object({ id: z.uuid(), email: z.string().nullable() }).nullable(),
  ip: z.string().nullable(),
  /** Reason codes, counts, the new role …; never a secret. */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export const AuditEventPage = z.object({
  events: z.array(AuditEvent),
  page: z.int().min(1),
  pageSize: z.int().min(1).max(100),
  total: z.int().min(0),
});
