import { createdAnswer, listAnswer, noContentAnswer, okAnswer, operationGroup, type Operation } from '@cf/kit';
import { z } from 'zod';
import { TOKEN_SHAPE, type Bots } from '../bots/bots.ts';
import type { BotRow } from '../db/bots.ts';
import { idParam, userOf } from './caller.ts';
import { BOT_API } from './documented-errors.ts';
import { Bot, BotList } from './responses.ts';

const BotBody = z.object({
  // The shape `Bots.add` checks, in the document too (Schemathesis ST202: a schema-valid token was refused).
  token: z
    .string()
    .max(128)
    .regex(TOKEN_SHAPE, 'the token @BotFather gave, like 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11'),
  name: z.string().trim().min(1).max(64).optional(),
});
const BotRenameBody = z.object({ name: z.string().trim().min(1).max(64) });

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

/** The routes of `/telegram/bots*`: a user's bots, each known by its token (stored only encrypted, never shown). */
export function botRoutes(bots: Bots): Operation[] {
  const group = operationGroup({ auth: 'user', tags: ['bots'], notFound: 'no such bot of the caller' });
  return [
    group.get('/telegram/bots', 'The caller’s bots', {
      ...listAnswer('bots', 'the bots', BotList, { renameFirstBot: 'patchTelegramBotsById' }),
      async handler(ctx) {
        ctx.body = { bots: (await bots.list(userOf(ctx))).map(botView) };
      },
    }),
    group.post('/telegram/bots', 'Add a bot by its token (checked with Bot API getMe; stored only encrypted)', {
      body: BotBody,
      ...createdAnswer('the bot', Bot, { renameBot: 'patchTelegramBotsById', removeBot: 'deleteTelegramBotsById' }),
      errors: { ...BOT_API, 400: 'not a valid bot token', 409: 'bot cap reached, or the bot is already added' },
      async handler(ctx, { body }) {
        ctx.status = 201;
        ctx.body = botView(await bots.add(userOf(ctx), body.token.trim(), body.name));
      },
    }),
    group.patch('/telegram/bots/:id', 'Rename one of the caller’s bots', {
      body: BotRenameBody,
      ...okAnswer('the bot', Bot),
      async handler(ctx, { body }) {
        ctx.body = botView(await bots.rename(userOf(ctx), idParam(ctx, 'bot'), body.name));
      },
    }),
    group.delete('/telegram/bots/:id', 'Remove one of the caller’s bots and delete its token', {
      ...noContentAnswer('removed'),
      async handler(ctx) {
        await bots.remove(userOf(ctx), idParam(ctx, 'bot'));
        ctx.status = 204;
      },
    }),
  ];
}
