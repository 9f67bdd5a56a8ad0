import { HttpProblem, operation, verifiedClaims, type Operation } from '@cf/kit';
import { audit } from '../audit.ts';
import type { UserRow } from '../db/store.ts';
import { AdminListQuery, AdminPatchBody, Uuid } from '../schemas.ts';
import { publicUser, type RouteDeps } from './deps.ts';
import { AdminUser, AdminUserPage } from './responses.ts';

/** An account as administrators see it: also whether it is disabled. */
const adminView = (user: UserRow): Record<string, unknown> => ({ ...publicUser(user), disabled: user.disabled });

/** Administrators' view of every account. */
export function adminRoutes(deps: RouteDeps): Operation[] {
  const { logger, store } = deps;
  const admin = { tags: ['admin'], auth: 'admin' } as const;
  return [
    operation({
      ...admin,
      method: 'get',
      path: '/admin/users',
      summary: 'All accounts, paged (page size capped at 100)',
      query: AdminListQuery,
      success: { status: 200, description: 'a page of accounts', schema: AdminUserPage },
      links: {
        updateFirstUser: { operationId: 'patchAdminUsersById', parameters: { id: '$response.body#/users/0/id' } },
      },
      async handler(ctx, { query }) {
        const { users, total } = await store.listUsers((query.page - 1) * query.pageSize, query.pageSize);
        ctx.body = { users: users.map(adminView), page: query.page, pageSize: query.pageSize, total };
      },
    }),
    operation({
      ...admin,
      method: 'patch',
      path: '/admin/users/:id',
      summary: 'Change an account’s role or disable it (a disabled account’s tokens stop working at once)',
      body: AdminPatchBody,
      success: { status: 200, description: 'the updated account', schema: AdminUser },
      errors: { 404: 'no such account', 409: 'an administrator cannot demote or disable themselves' },
      async handler(ctx, { body }) {
        const claims = verifiedClaims(ctx);
        const id = Uuid.safeParse(ctx.params['id']);
        if (!id.success) throw HttpProblem.notFound('no such account');
        if (id.data === claims.sub && (body.disabled === true || body.role === 'user')) {
          throw HttpProblem.conflict('administrators cannot demote or disable themselves');
        }
        // Ended here (counted by reason); the database trigger also ends any session a disable races with.
        if (body.disabled === true) await store.revokeAllSessions(id.data, 'disabled-by-admin');
        const user = await store.updateAdminFields(id.data, body);
        if (user === undefined) throw HttpProblem.notFound('no such account');
        audit(ctx, logger, 'admin.user-updated', {
          userId: claims.sub,
          targetUserId: user.id,
          role: body.role,
          disabled: body.disabled,
        });
        ctx.body = adminView(user);
      },
    }),
  ];
}
