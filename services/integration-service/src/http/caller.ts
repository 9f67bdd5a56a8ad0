import type { Context } from 'koa';
import { HttpProblem, verifiedClaims } from '@cf/kit';
import { z } from 'zod';

const Uuid = z.uuid();

/** The `:id` path parameter as a UUID; anything else is a 404 naming `what`. */
export function idParam(ctx: Context, what: string): string {
  const id = Uuid.safeParse(ctx.params['id']);
  if (!id.success) throw HttpProblem.notFound(`no such ${what}`);
  return id.data;
}

/** The caller's user id: the verified token's subject. */
export const userOf = (ctx: Context): string => verifiedClaims(ctx).sub;
