import type { Context } from 'koa';
import { HttpProblem, listAnswer, noContentAnswer, okAnswer, operationGroup, type Operation } from '@cf/kit';
import { z } from 'zod';
import type { Accounts } from '../accounts/accounts.ts';
import type { Store } from '../db/store.ts';
import type { LeaseHolder } from '../ownership/holder.ts';
import { resourceName } from '../resources.ts';
import { idParam, userOf } from './caller.ts';
import type { ownerRouting } from './owner.ts';
import { MOVING, TELEGRAM } from './documented-errors.ts';
import { Account, AccountList, ErrorStats, LogPage } from './responses.ts';
import { accountView } from './views.ts';

const LogQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
const StatsQuery = z.object({
  windowHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});

/** The routes of `/telegram/accounts*`, `/telegram/logs` and `/telegram/stats/*`: the caller's connected accounts and their log. */
export function accountRoutes(deps: {
  store: Store;
  accounts: Accounts;
  holder: LeaseHolder;
  onOwner: ReturnType<typeof ownerRouting>;
}): Operation[] {
  const { store, accounts, holder, onOwner } = deps;
  const ownedAccount = async (ctx: Context) => {
    const row = await store.accounts.of(userOf(ctx), idParam(ctx, 'account'));
    if (row === undefined) throw HttpProblem.notFound('no such account');
    return row;
  };
  const group = operationGroup({ auth: 'user', tags: ['accounts'], notFound: 'no such account of the caller' });
  const logGroup = operationGroup({ auth: 'user', tags: ['logs'] });
  return [
    group.get('/telegram/accounts', 'The caller’s Telegram accounts', {
      ...listAnswer('accounts', 'the accounts', AccountList, { firstAccount: 'getTelegramAccountsById' }),
      async handler(ctx) {
        const rows = await store.accounts.ofUser(userOf(ctx));
        ctx.body = { accounts: rows.map((row) => accountView(row, undefined)) };
      },
    }),
    group.get('/telegram/accounts/:id', 'One of the caller’s Telegram accounts', {
      ...okAnswer('the account', Account),
      errors: { 503: MOVING },
      async handler(ctx) {
        const row = await ownedAccount(ctx);
        ctx.body = accountView(row, holder.holds(resourceName('account', row.id)));
      },
    }),
    group.delete(
      '/telegram/accounts/:id',
      'Disconnect: log the session out at Telegram, destroy the client, delete the stored session',
      {
        ...noContentAnswer('disconnected'),
        errors: TELEGRAM,
        async handler(ctx) {
          const row = await ownedAccount(ctx);
          // An account that is not connected has no client to log out: its rows go without asking its holder.
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
      },
    ),
    logGroup.get('/telegram/logs', 'The caller’s integration log, newest first, paged', {
      query: LogQuery,
      ...okAnswer('a page of log entries', LogPage),
      async handler(ctx, { query }) {
        const { entries, total } = await store.log.page(userOf(ctx), (query.page - 1) * query.pageSize, query.pageSize);
        ctx.body = { entries, page: query.page, pageSize: query.pageSize, total };
      },
    }),
    logGroup.get('/telegram/stats/errors', 'The caller’s error counts by kind over a window', {
      query: StatsQuery,
      ...okAnswer('error counts by kind', ErrorStats),
      async handler(ctx, { query }) {
        ctx.body = {
          windowHours: query.windowHours,
          errors: await store.log.errorCounts(userOf(ctx), query.windowHours * 3600),
        };
      },
    }),
  ];
}
