import type { Middleware } from 'koa';
import { emailVerified, HttpProblem, type Operation } from '@cf/kit';

/**
 * What an account whose address is not yet verified may be refused (issue 18), as `UNVERIFIED_MAY_NOT` names them:
 * `connect-accounts` (starting a Telegram login), `connect-bots`, `manage-channels` (connecting and refreshing
 * channels) and `publish` (creating, editing, retrying posts).
 */
export const UNVERIFIED_ACTIONS = ['connect-accounts', 'connect-bots', 'manage-channels', 'publish'] as const;
export type UnverifiedAction = (typeof UNVERIFIED_ACTIONS)[number];

/** Which operation (`METHOD path`) is which action. Operations not named here are open to every signed-in user. */
const ACTION_OF: Record<string, UnverifiedAction> = {
  'POST /telegram/logins/phone': 'connect-accounts',
  'POST /telegram/logins/qr': 'connect-accounts',
  'POST /telegram/bots': 'connect-bots',
  'POST /telegram/channels': 'manage-channels',
  'POST /telegram/channels/:id/refresh': 'manage-channels',
  'POST /telegram/posts': 'publish',
  'POST /telegram/posts/images': 'publish',
  'PATCH /telegram/posts/:id': 'publish',
  'POST /telegram/posts/:id/targets/:targetId/retry': 'publish',
};

export const UNVERIFIED_PROBLEM = 'https://content-factory.local/problems/account/unverified';

const REFUSAL = 'verify your email address first: follow the link in the mail we sent';

/**
 * Middleware after authentication: 403 `…/problems/account/unverified` unless the access token's `email_verified`
 * claim is true. A user who has just followed the link is let through from their next token refresh on.
 */
export const verifiedOnly: Middleware = async (ctx, next) => {
  if (!emailVerified(ctx)) throw new HttpProblem(403, { type: UNVERIFIED_PROBLEM, detail: REFUSAL });
  await next();
};

/**
 * `operations` with `verifiedOnly` in front of every operation whose action `refused` names, and that 403 in
 * their documented answers (joined to a 403 the operation documents already).
 */
export function refuseUnverified(operations: Operation[], refused: readonly UnverifiedAction[]): Operation[] {
  return operations.map((op) => {
    const action = ACTION_OF[`${op.method.toUpperCase()} ${op.path}`];
    if (action === undefined || !refused.includes(action)) return op;
    const own = op.errors?.[403];
    return {
      ...op,
      middleware: [verifiedOnly, ...(op.middleware ?? [])],
      errors: {
        ...op.errors,
        403: own === undefined ? 'the address is not verified yet' : `${own}; or the address is not verified yet`,
      },
    };
  });
}
