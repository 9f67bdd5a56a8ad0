import type { Context } from 'koa';
import { HttpProblem, verifiedClaims } from '@cf/kit';
import type { UserRow, UserStore } from '../db/store.ts';

/** `user`, the caller's account as just read or written, or 401: a token whose account is gone names nobody. */
export function existingCaller(user: UserRow | undefined): UserRow {
  if (user === undefined) throw HttpProblem.unauthorized();
  return user;
}

/** The caller's account: the verified access token's subject, read from the store (401 when it is gone). */
export async function callerUser(store: Pick<UserStore, 'userById'>, ctx: Context): Promise<UserRow> {
  return existingCaller(await store.userById(verifiedClaims(ctx).sub));
}
