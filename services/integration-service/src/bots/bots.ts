import { randomUUID } from 'node:crypto';
import { HttpProblem, type Logger } from '@cf/kit';
import type { SessionCipher } from '../cipher.ts';
import type { BotRow } from '../db/bots.ts';
import type { Store } from '../db/store.ts';
import type { Limits } from '../limits.ts';
import { BotApiError, type BotApi } from './bot-api.ts';

/** `<bot id>:<secret>` as BotFather issues it; anything else is refused without a call. */
export const TOKEN_SHAPE = /^\d{1,20}:[A-Za-z0-9_-]{30,60}$/;

const PROBLEM_BASE = 'https://content-factory.local/problems/bots/';

/** The HTTP answer for a Bot API failure while adding a bot. */
export function botProblem(error: BotApiError): HttpProblem {
  const type = PROBLEM_BASE + error.kind.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  switch (error.kind) {
    case 'TokenInvalid':
      return new HttpProblem(400, {
        type,
        detail: 'Telegram does not know this bot token; copy it again from @BotFather',
        errors: [{ field: 'token', message: 'not a valid bot token' }],
        extensions: { kind: error.kind },
      });
    case 'FloodWait':
    case 'Timeout':
    case 'Unreachable': {
      const seconds = error.kind === 'FloodWait' ? Math.max(1, error.seconds) : 5;
      return new HttpProblem(error.kind === 'FloodWait' ? 429 : error.kind === 'Timeout' ? 504 : 503, {
        type,
        detail: 'the Telegram Bot API did not answer; try again shortly',
        headers: { 'Retry-After': String(seconds) },
        extensions: { kind: error.kind, retryAfter: seconds },
      });
    }
    default:
      return new HttpProblem(502, { type, detail: 'the Telegram Bot API failed', extensions: { kind: error.kind } });
  }
}

/**
 * A user's bots: added by token (checked with Bot API `getMe`), stored only encrypted, listed, renamed,
 * removed (which deletes the token). Adding and removing are audited in the integration log.
 */
export class Bots {
  private readonly deps: { store: Store; cipher: SessionCipher; botApi: BotApi; limits: Limits; logger: Logger };

  constructor(deps: { store: Store; cipher: SessionCipher; botApi: BotApi; limits: Limits; logger: Logger }) {
    this.deps = deps;
  }

  async add(userId: string, token: string, name: string | undefined): Promise<BotRow> {
    const { store, cipher, botApi, limits, logger } = this.deps;
    if (!TOKEN_SHAPE.test(token)) {
      throw HttpProblem.badRequest('the bot token is not valid', [
        { field: 'token', message: 'the token @BotFather gave, like 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11' },
      ]);
    }
    let me;
    try {
      me = await botApi.getMe(token);
    } catch (error) {
      const failure = error instanceof BotApiError ? error : new BotApiError('Unavailable');
      await store.log.add({ userId, operation: 'bot.add', outcome: 'error', errorKind: failure.kind });
      throw botProblem(failure);
    }
    const row = await store.bots.upsert({
      id: randomUUID(),
      userId,
      telegramBotId: me.id,
      username: me.username,
      name: name ?? me.firstName,
      tokenCiphertext: await cipher.encrypt(token),
      maxBots: limits.settings.botsPerUser,
    });
    if (row === undefined) throw limits.refuse('bots_per_user');
    await store.log.add({ userId, operation: 'bot.add', outcome: 'ok' });
    logger.info({ userId, botId: row.id, telegramBotId: row.telegram_bot_id }, 'bot added');
    return row;
  }

  list(userId: string): Promise<BotRow[]> {
    return this.deps.store.bots.ofUser(userId);
  }

  async rename(userId: string, id: string, name: string): Promise<BotRow> {
    const row = await this.deps.store.bots.rename(userId, id, name);
    if (row === undefined) throw HttpProblem.notFound('no such bot');
    return row;
  }

  async remove(userId: string, id: string): Promise<void> {
    if (!(await this.deps.store.bots.delete(userId, id))) throw HttpProblem.notFound('no such bot');
    await this.deps.store.log.add({ userId, operation: 'bot.remove', outcome: 'ok' });
    this.deps.logger.info({ userId, botId: id }, 'bot removed');
  }
}
