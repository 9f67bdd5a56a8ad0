import { api } from '../../api/client.ts';
import { session } from '../../api/session.ts';
import type { components } from '../../api/generated/schema.ts';

// The admin console's calls (user-service `routes/admin.ts`, role admin), typed by the generated client.

type Schemas = components['schemas'];

/** An account as the users table lists it. */
export type AdminUser = Schemas['AdminListedUser'];
export type AdminUserDetail = Schemas['AdminUserDetail'];
export type AuditEvent = Schemas['AuditEvent'];

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
