import { api } from '../../api/client.ts';
import { session } from '../../api/session.ts';
import type { operations } from '../../api/generated/schema.ts';

// The admin console's calls (user-service `routes/admin.ts`, role admin), typed by the generated client.

/** The JSON body of an operation's 200 answer. */
type Json<Op extends 'getAdminUsers' | 'getAdminUsersById' | 'getAdminUsersByIdAudit'> =
  operations[Op]['responses'][200]['content']['application/json'];

export type AdminUser = Json<'getAdminUsers'>['users'][number];
export type AdminUserDetail = Json<'getAdminUsersById'>;
export type AuditEvent = Json<'getAdminUsersByIdAudit'>['events'][number];

/** Rows per page of the users table and of the audit trail. */
export const PAGE_SIZE = 20;

/** Accounts whose email contains `search`, page `page` (from 1), and how many match. */
export function listUsers(search: string, page: number) {
  return session.call(() =>
    api.GET('/api/admin/users', { params: { query: { q: search, page, pageSize: PAGE_SIZE } } }),
  );
}

export function userDetail(id: string) {
  return session.call(() => api.GET('/api/admin/users/{id}', { params: { path: { id } } }));
}

export function auditTrail(id: string, page: number) {
  return session.call(() =>
    api.GET('/api/admin/users/{id}/audit', { params: { path: { id }, query: { page, pageSize: PAGE_SIZE } } }),
  );
}

export function updateUser(id: string, change: { role?: 'user' | 'admin'; disabled?: boolean }) {
  return session.call(() => api.PATCH('/api/admin/users/{id}', { params: { path: { id } }, body: change }));
}

export function endSessions(id: string) {
  return session.call(() => api.DELETE('/api/admin/users/{id}/sessions', { params: { path: { id } } }));
}
