import { HttpProblem, noContentAnswer, okAnswer, operationGroup, verifiedClaims, type Operation } from '@cf/kit';
import { audit } from '../audit.ts';
import { hashPassword, verifyPassword } from '../passwords.ts';
import { ChangePasswordBody, PatchMeBody } from '../schemas.ts';
import { callerUser, existingCaller } from './caller.ts';
import { publicUser, type RouteDeps } from './deps.ts';
import { PublicUser } from './responses.ts';

/** The caller's own account. */
export function usersRoutes(deps: RouteDeps): Operation[] {
  const { logger, store } = deps;
  const ownRoutes = operationGroup({ auth: 'user', tags: ['users'] });
  return [
    ownRoutes.get('/users/me', 'The caller’s account', {
      ...okAnswer('the account', PublicUser),
      async handler(ctx) {
        ctx.body = publicUser(await callerUser(store, ctx));
      },
    }),
    ownRoutes.patch('/users/me', 'Change the caller’s display name (the only field a user may change here)', {
      body: PatchMeBody,
      ...okAnswer('the updated account', PublicUser),
      async handler(ctx, { body }) {
        ctx.body = publicUser(existingCaller(await store.setDisplayName(verifiedClaims(ctx).sub, body.displayName)));
      },
    }),
    ownRoutes.post('/users/me/password', 'Change the password; every other session of the caller ends', {
      body: ChangePasswordBody,
      ...noContentAnswer('changed'),
      errors: { 400: 'invalid input or wrong current password' },
      async handler(ctx, { body }) {
        const claims = verifiedClaims(ctx);
        const user = await callerUser(store, ctx);
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
