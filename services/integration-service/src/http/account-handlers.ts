import type { Context } from 'koa';
import { HttpProblem } from '@cf/kit';
import { z } from 'zod';
import type { Accounts } from '../accounts/accounts.ts';
import type { Store } from '../db/store.ts';
import type { LeaseHolder } from '../ownership/holder.ts';
import { resourceName } from '../resources.ts';
import { idParam, userOf } from './login-handlers.ts';
import type { ownerRouting } from './owner.ts';
import { accountView } from './views.ts';

export const LogQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export const StatsQuery = z.object({
  windowHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});

/** The request handlers of `/telegram/accounts*`, `/telegram/logs` and `/telegram/stats/*`. */
export function accountHandlers(deps: {
  store: Store;
  accounts: Accounts;
  holder: LeaseHolder;
  onOwner: ReturnType<typeof ownerRouting>;
}) {
  const { store, accounts, holder, onOwner } = deps;
  const ownedAccount = async (ctx: Context) => {
    const row = await store.accounts.of(userOf(ctx), idParam(ctx, 'account'));
    if (row === undefined) throw HttpProblem.notFound('no such account');
    return row;
  };
  return {
    async list(ctx: Context) {
      const rows = await store.accounts.ofUser(userOf(ctx));
      ctx.body = { accounts: rows.map((row) => accountView(row, undefined)) };
    },
    async get(ctx: Context) {
      const row = await ownedAccount(ctx);
      ctx.body = accountView(row, holder.holds(resourceName('account', row.id)));
    },
    async delete(ctx: Context) {
      const row = await ownedAccount(ctx);
      if (row.state !== 'connected' && (await store.accounts.deleteDead(row.user_id, row.id))) {
        await store.log.add({ userId: row.user_id, operation: 'account.delete', outcome: 'ok', accountId: row.id });
        ctx.status = 204;
        return;
      }
      await onOwner(ctx, resourceName('account', row.id), async () => {
        await accounts.delete(row.user_id, row.id);
        ctx.status = 204;
      });
    },
    async logs(ctx: Context, { query }: { query: z.infer<typeof LogQuery> }) {
      const { entries, total } = await store.log.page(userOf(ctx), (query.page - 1) * query.pageSize, query.pageSize);
      ctx.body = { entries, page: query.page, pageSize: query.pageSize, total };
    },
    async errorStats(ctx: Context, { query }: { query: z.infer<typeof StatsQuery> }) {
      ctx.body = {
        windowHours: query.windowHours,
        errors: await store.log.errorCounts(userOf(ctx), query.windowHours * 3600),
      };
    },
  };
}
