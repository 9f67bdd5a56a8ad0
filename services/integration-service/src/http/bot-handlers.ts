import type { Context } from 'koa';
import { z } from 'zod';
import { TOKEN_SHAPE, type Bots } from '../bots/bots.ts';
import type { BotRow } from '../db/bots.ts';
import { idParam, userOf } from './login-handlers.ts';

export const BotBody = z.object({
  // The shape `Bots.add` checks, in the document too (Schemathesis ST202: a schema-valid token was refused).
  token: z
    .string()
    .max(128)
    .regex(TOKEN_SHAPE, 'the token @BotFather gave, like 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11'),
  name: z.string().trim().min(1).max(64).optional(),
});
export const BotRenameBody = z.object({ name: z.string().trim().min(1).max(64) });

/** A bot as the API shows it: never its token. */
function botView(row: BotRow): Record<string, unknown> {
  return {
    id: row.id,
    telegramBotId: row.telegram_bot_id,
    username: row.username,
    name: row.name,
    createdAt: row.created_at,
  };
}

/** The request handlers of `/telegram/bots*`. */
export function botHandlers(bots: Bots) {
  return {
    async add(ctx: Context, { body }: { body: z.infer<typeof BotBody> }) {
      ctx.status = 201;
      ctx.body = botView(await bots.add(userOf(ctx), body.token.trim(), body.name));
    },
    async list(ctx: Context) {
      ctx.body = { bots: (await bots.list(userOf(ctx))).map(botView) };
    },
    async rename(ctx: Context, { body }: { body: z.infer<typeof BotRenameBody> }) {
      ctx.body = botView(await bots.rename(userOf(ctx), idParam(ctx, 'bot'), body.name));
    },
    async remove(ctx: Context) {
      await bots.remove(userOf(ctx), idParam(ctx, 'bot'));
      ctx.status = 204;
    },
  };
}
