import type { Context } from 'koa';
import { HttpProblem, listAnswer, okAnswer, operationGroup, verifiedClaims, type Operation } from '@cf/kit';
import { audit } from '../audit.ts';
import type { AuditTrail } from '../admin/audit-trail.ts';
import type { UserDirectory } from '../admin/directory.ts';
import {
  AdminUserDetail,
  AdminUserList,
  AdminUsersQuery,
  AuditEventPage,
  AuditQuery,
  SessionsEnded,
} from '../admin/schemas.ts';
import type { UserRow } from '../db/store.ts';
import type { SecondFactors } from '../two-factor/state.ts';
import { AdminPatchBody } from '../schemas.ts';
import { publicUser, type RouteDeps } from './deps.ts';
import { AdminUser } from './responses.ts';

/** What the admin console reads beyond the account store. */
export interface AdminDeps {
  directory: UserDirectory;
  trail: AuditTrail;
  /** Second factors per account id (`two-factor/state.ts`); every asked id is in the answer. */
  secondFactorsOf(userIds: readonly string[]): Promise<Map<string, SecondFactors>>;
}

/** An account as administrators see it: also whether it is disabled. */
const adminView = (user: UserRow): Record<string, unknown> => ({ ...publicUser(user), disabled: user.disabled });

const NO_FACTORS: SecondFactors = { totp: false, passkeys: 0, recoveryCodesLeft: 0 };

/** The `:id` path parameter; the kit only routes UUIDs here. */
const idOf = (ctx: Context): string => String(ctx.params['id']);

/**
 * Administrators' view of every account (role `admin`; a user token is 403): search and page, one account's
 * detail with its verification and second factors, disable/enable and role changes, ending its sessions, and
 * its audit trail. An administrator cannot demote, disable or sign out themselves here (409), so a console
 * always keeps at least the administrator using it.
 */
export function adminRoutes(deps: RouteDeps, admin: AdminDeps): Operation[] {
  const { logger, store } = deps;
  const { directory, trail, secondFactorsOf } = admin;
  const adminRoutes = operationGroup({ auth: 'admin', tags: ['admin'] });
  const notFound = (): HttpProblem => HttpProblem.notFound('no such account');
  /** The account the `:id` path parameter names, or 404. */
  const accountNamed = async (ctx: Context): Promise<UserRow> => {
    const user = await store.userById(idOf(ctx));
    if (user === undefined) throw notFound();
    return user;
  };
  const refuseSelf = (ctx: Context, what: string): void => {
    if (idOf(ctx) === verifiedClaims(ctx).sub) throw HttpProblem.conflict(`administrators cannot ${what} themselves`);
  };
  return [
    adminRoutes.get(
      '/admin/users',
      'Accounts whose email contains `q`, oldest first, paged (page size capped at 100)',
      {
        query: AdminUsersQuery,
        ...listAnswer('users', 'a page of accounts and how many match', AdminUserList, {
          getFirstUser: 'getAdminUsersById',
          updateFirstUser: 'patchAdminUsersById',
        }),
        async handler(ctx, { query }) {
          const { users, total } = await directory.search(query.q, (query.page - 1) * query.pageSize, query.pageSize);
          const factors = await secondFactorsOf(users.map((user) => user.id));
          ctx.body = {
            users: users.map((user) => ({ ...adminView(user), secondFactors: factors.get(user.id) ?? NO_FACTORS })),
            page: query.page,
            pageSize: query.pageSize,
            total,
          };
        },
      },
    ),
    adminRoutes.get('/admin/users/:id', 'One account: verification, second factors (no secrets) and live sessions', {
      ...okAnswer('the account', AdminUserDetail),
      links: {
        getAudit: { operationId: 'getAdminUsersByIdAudit', parameters: { id: '$request.path.id' } },
      },
      errors: { 404: 'no such account' },
      async handler(ctx) {
        const user = await accountNamed(ctx);
        const factors = await secondFactorsOf([user.id]);
        ctx.body = {
          ...adminView(user),
          secondFactors: factors.get(user.id) ?? NO_FACTORS,
          activeSessions: await directory.activeSessions(user.id),
        };
      },
    }),
    adminRoutes.patch(
      '/admin/users/:id',
      'Change an account’s role, or disable/enable it (disabling ends its sessions at once and refuses its logins)',
      {
        body: AdminPatchBody,
        ...okAnswer('the updated account', AdminUser),
        errors: { 404: 'no such account', 409: 'an administrator cannot demote or disable themselves' },
        async handler(ctx, { body }) {
          const claims = verifiedClaims(ctx);
          if (body.disabled === true || body.role === 'user') refuseSelf(ctx, 'demote or disable');
          // Ended here (counted by reason); the database trigger also ends any session a disable races with.
          if (body.disabled === true) await store.revokeAllSessions(idOf(ctx), 'disabled-by-admin');
          const user = await store.updateAdminFields(idOf(ctx), body);
          if (user === undefined) throw notFound();
          audit(ctx, logger, 'admin.user-updated', {
            userId: claims.sub,
            targetUserId: user.id,
            role: body.role,
            disabled: body.disabled,
          });
          ctx.body = adminView(user);
        },
      },
    ),
    adminRoutes.delete(
      '/admin/users/:id/sessions',
      'End every session of an account (its access tokens are refused at the gateway at once)',
      {
        ...okAnswer('how many sessions were ended', SessionsEnded),
        errors: { 404: 'no such account', 409: 'administrators sign themselves out with POST /auth/logout-all' },
        async handler(ctx) {
          refuseSelf(ctx, 'end the sessions of');
          const user = await accountNamed(ctx);
          // Through the sessions table, so the revocation feed carries it to api-gateway like any logout.
          const ended = await store.revokeAllSessions(user.id, 'ended-by-admin');
          audit(ctx, logger, 'admin.sessions-ended', {
            userId: verifiedClaims(ctx).sub,
            targetUserId: user.id,
            endedSessions: ended,
          });
          ctx.body = { endedSessions: ended };
        },
      },
    ),
    adminRoutes.get(
      '/admin/users/:id/audit',
      'The account’s audit trail, newest first, paged (page size capped at 100)',
      {
        query: AuditQuery,
        ...okAnswer('a page of audit events and how many there are', AuditEventPage),
        errors: { 404: 'no such account' },
        async handler(ctx, { query }) {
          const user = await accountNamed(ctx);
          const { events, total } = await trail.page(user.id, (query.page - 1) * query.pageSize, query.pageSize);
          ctx.body = { events, page: query.page, pageSize: query.pageSize, total };
        },
      },
    ),
  ];
}
