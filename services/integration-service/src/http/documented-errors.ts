// What the routes document as their error answers besides their own: one wording per
// cause, shared by every route it can reach.

/** A stored-state move between pods: the caller retries (Retry-After). */
export const MOVING = 'the login or account is moving between pods, or another pod holds it and is unreachable';

/**
 * What any Telegram step can answer (`telegram/errors.ts` KINDS and `telegram/deadline.ts`): a flood wait,
 * Telegram failing, unreachable or too slow — each with Retry-After where a wait is known.
 */
export const TELEGRAM = {
  429: 'flood wait, or a login limit (Retry-After)',
  502: 'Telegram answered with an error',
  503: `Telegram is unreachable, or ${MOVING} (Retry-After)`,
  504: 'Telegram did not answer in time (Retry-After)',
} as const;

/** What a call to the Bot API can answer (`bots/bot-api.ts`), as TELEGRAM is for MTProto. */
export const BOT_API = {
  502: 'the Bot API answered with an error',
  503: 'Bot API unreachable (Retry-After)',
  504: 'Bot API did not answer in time (Retry-After)',
} as const;

/** The caps of `limits.ts` that answer 409. */
export const LIMIT = 'the connected-accounts cap was reached';

/** What a channel route that asks Telegram can answer besides its own errors (`telegram/errors.ts` KINDS). */
export const TELEGRAM_CALL = {
  429: 'flood wait (Retry-After)',
  503: 'ownership of the account is moving (Retry-After)',
  504: 'Telegram did not answer in time',
} as const;
