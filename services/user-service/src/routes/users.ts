import { HttpProblem, operation, verifiedClaims, type Operation } from '@cf/kit';
import { audit } from '../audit.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import { ChangePasswordBody, PatchMeBody } from '../schemas.ts';
import { publicUser, type RouteDeps } from './deps.ts';

/** The caller's own account. */
export function usersRoutes(deps: RouteDeps): Operation[] {
  const { logger, store } = deps;
  return [
    operation({
      method: 'get',
      path: '/users/me',
      summary: 'The caller’s account',
      tags: ['users'],
      auth: 'user',
      responses: { 200: 'the account', 401: 'no valid access token' },
      async handler(ctx) {
        const user = await store.userById(verifiedClaims(ctx).sub);
        if (user === undefined) throw HttpProblem.unauthorized();
        ctx.body = publicUser(user);
      },
    }),
    operation({
      method: 'patch',
      path: '/users/me',
      summary: 'Change the caller’s display name (the only field a user may change here)',
      tags: ['users'],
      auth: 'user',
      body: PatchMeBody,
      responses: { 200: 'the updated account', 400: 'invalid input', 401: 'no valid access token' },
      async handler(ctx, { body }) {
        const user = await store.setDisplayName(verifiedClaims(ctx).sub, body.displayName);
        if (user === undefined) throw HttpProblem.unauthorized();
        ctx.body = publicUser(user);
      },
    }),
    operation({
      method: 'post',
      path: '/users/me/password',
      summary: 'Change the password; every other session of the caller ends',
      tags: ['users'],
      auth: 'user',
      body: ChangePasswordBody,
      responses: { 204: 'changed', 400: 'invalid input or wrong current password', 401: 'no valid access token' },
      async handler(ctx, { body }) {
        const claims = verifiedClaims(ctx);
        const user = await store.userById(claims.sub);
        if (user === undefined) throw HttpProblem.unauthorized();
        if (!(await verifyPassword(user.password_hash, body.currentPassword))) {
          throw HttpProblem.badRequest('current password is incorrect', [
            { field: 'currentPassword', message: 'incorrect' },
          ]);
        }
        await store.setPasswordHash(user.id, await hashPassword(body.newPassword));
        const ended = await store.revokeAllSessions(user.id, 'password-changed', claims.sid);
        audit(ctx, logger, 'password.changed', { userId: user.id, endedSessions: ended });
        ctx.status = 204;
      },
    }),
  ];
}
